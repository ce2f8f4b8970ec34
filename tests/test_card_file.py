"""glamlab.toml as a person wrote it: saving the card changes only what changed (comments,
order and layout stay), at once, keeping the file's permissions; a card that cannot be
written, or that an edit broke, is one clear error and is left as it is."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import pytest

from glamlab import Workspace
from glamlab.config import ProjectCard, card_text_with_db_url, card_text_without_db_url
from glamlab.errors import ConfigError, GlamlabError

HAND_WRITTEN = """\
# Card for the 1890s ledgers. Ask Ana before changing the labels.
[project]
name   = "ledgers"        # what the team calls it
task = "blank-pages"
modality = "image"
labels = ["blank", "content"]   # order as on the review sheet
need = "Skip the blank pages before paid OCR."
curator = "Ana"  # not a glamlab key: kept

# [policy]: agreed at the March meeting
[policy]
target_precision = 0.9  # no lower, says the catalogue team
field = "page_type"

[policy.labels.blank]
accept = 0.97   # tuned by hand
review = 0.5

[safety]
note = "see the lexicon"
"""


def _card(tmp_path: Path, text: str = HAND_WRITTEN) -> Path:
    path = tmp_path / "glamlab.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_saving_changes_only_what_changed_and_keeps_what_a_person_wrote(tmp_path):
    """Before, the card was written again from a dict: every comment, the key order and the
    layout were lost whenever a command saved it."""
    path = _card(tmp_path)
    card = ProjectCard.load(path)
    card.raw["policy"]["labels"]["blank"]["accept"] = 0.93
    card.raw["policy"]["labels"]["content"] = {"accept": 0.95, "review": 0.6}
    card.raw["policy"]["proposed_by"] = "glamlab act"
    del card.raw["safety"]
    card.price_per_item = 0.02
    card.save(path)
    text = path.read_text(encoding="utf-8")
    for kept in ("# Card for the 1890s ledgers. Ask Ana before changing the labels.",
                 'name   = "ledgers"        # what the team calls it',
                 'labels = ["blank", "content"]   # order as on the review sheet',
                 'curator = "Ana"  # not a glamlab key: kept',
                 "# [policy]: agreed at the March meeting",
                 "target_precision = 0.9  # no lower, says the catalogue team"):
        assert kept in text, text
    assert "accept = 0.93   # tuned by hand" in text  # the value changed, its comment stays
    assert "[safety]" not in text
    data = tomllib.loads(text)
    assert data["policy"]["labels"] == {"blank": {"accept": 0.93, "review": 0.5},
                                        "content": {"accept": 0.95, "review": 0.6}}
    assert data["policy"]["proposed_by"] == "glamlab act"
    assert data["costs"] == {"price_per_item": 0.02}  # defaults the file left out stay out
    assert "ingest" not in data and "multi_label" not in data["project"]
    # the text before the first change is the person's, byte for byte; a new key goes
    # after the table's last one
    assert text.startswith(HAND_WRITTEN[:HAND_WRITTEN.index("\n\n[policy.labels.blank]")]
                           + '\nproposed_by = "glamlab act"\n\n[policy.labels.blank]\n')
    assert ProjectCard.load(path).raw["project"]["curator"] == "Ana"
    # saving again with nothing changed leaves the text as it is
    card.save(path)
    assert path.read_text(encoding="utf-8") == text


def test_an_edit_made_in_the_file_meanwhile_stays(tmp_path):
    """A long-running command (glamlab serve) saves its own change only: what a person
    edited in the file since it was read stays."""
    path = _card(tmp_path)
    card = ProjectCard.load(path)
    path.write_text(HAND_WRITTEN.replace('need = "Skip the blank pages before paid OCR."',
                                         'need = "Skip blanks."  # shorter'), encoding="utf-8")
    card.raw["policy"]["target_precision"] = 0.95
    card.save(path)
    text = path.read_text(encoding="utf-8")
    assert 'need = "Skip blanks."  # shorter' in text
    assert "target_precision = 0.95  # no lower, says the catalogue team" in text


def test_a_write_is_atomic_and_keeps_the_permissions(tmp_path):
    path = _card(tmp_path)
    path.chmod(0o640)
    link = tmp_path / "link"
    link.mkdir()
    (link / "glamlab.toml").symlink_to(path)
    card = ProjectCard.load(link / "glamlab.toml")
    card.need = "changed"
    card.save(link / "glamlab.toml")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert (link / "glamlab.toml").is_symlink()  # the file it points to was written
    assert tomllib.loads(path.read_text(encoding="utf-8"))["project"]["need"] == "changed"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["glamlab.toml", "link"]  # no temp


def test_a_card_broken_by_an_edit_is_not_overwritten(tmp_path):
    path = _card(tmp_path)
    card = ProjectCard.load(path)
    broken = HAND_WRITTEN.replace('task = "blank-pages"', 'task = "blank-pages')
    path.write_text(broken, encoding="utf-8")
    card.need = "changed"
    with pytest.raises(ConfigError, match="not valid TOML") as err:
        card.save(path)
    assert "fix the syntax" in (err.value.hint or "")
    assert path.read_text(encoding="utf-8") == broken  # left as the person has it


@pytest.mark.parametrize("what, said", [("file", "glamlab.toml"), ("folder", "folder")])
def test_a_read_only_card_or_folder_is_one_clear_error(tmp_path, read_only, what, said):
    """Before, a PermissionError traceback."""
    folder = tmp_path / "project"
    folder.mkdir()
    path = _card(folder)
    card = ProjectCard.load(path)
    card.need = "changed"
    read_only(path if what == "file" else folder)
    with pytest.raises(GlamlabError, match=said) as err:
        card.save(path)
    assert "writable" in (err.value.hint or "")
    assert path.read_text(encoding="utf-8") == HAND_WRITTEN


def test_a_new_card_has_its_header_and_every_section(tmp_path):
    with Workspace.init(tmp_path / "w", task="t", modality="text", labels=["a", "b"]) as ws:
        text = ws.card_path.read_text(encoding="utf-8")
        assert text.startswith("# glamlab project card.")
        data = tomllib.loads(text)
        assert {"project", "task", "costs", "ingest"} <= set(data)
        assert ws.card.stamp is not None and ws.changed_card() is None
        os.utime(ws.root / "glamlab.toml", ns=(0, 0))  # another process touched it
        assert ws.refresh_card() and ws.card.task == "t"


def test_the_database_url_is_taken_out_and_put_in_keeping_the_comments():
    text = '# mine\n[project]\nname = "x"  # keep\n\n[database]\nurl = "postgresql://u:pw@h/db"\n'
    out = card_text_without_db_url(text)
    assert "pw" not in out and "[database]" not in out
    assert out.startswith('# mine\n[project]\nname = "x"  # keep\n')
    back = card_text_with_db_url(out, "postgresql://h/other")
    assert back.startswith('# mine\n[project]\nname = "x"  # keep\n')
    assert tomllib.loads(back)["database"]["url"] == "postgresql://h/other"


def _project(tmp_path: Path) -> Workspace:
    folder = tmp_path / "project"
    folder.mkdir()
    _card(folder)
    return Workspace.open(folder)


def test_a_change_saved_while_the_card_is_read_again_is_not_lost(tmp_path, monkeypatch):
    """The web app reads a changed glamlab.toml again on each request while a background
    job saves thresholds. Before, a job set ``ws.card.raw["policy"]`` and then saved
    ``ws.card``: a reload in between swapped the card and the job saved the new card,
    without its thresholds, and said nothing."""
    from glamlab.actions.optimise import write_thresholds

    ws = _project(tmp_path)
    path = ws.card_path
    card = ws.card
    validate = type(card).validate

    def reload_meanwhile(self: ProjectCard) -> None:  # a request comes in mid-save
        if self is card:
            path.write_text(HAND_WRITTEN.replace('curator = "Ana"', 'curator = "Bea"'),
                            encoding="utf-8")
            os.utime(path, ns=(1, 1))  # the stamp certainly changes
            assert ws.refresh_card()
        validate(self)

    monkeypatch.setattr(ProjectCard, "validate", reload_meanwhile)
    policy = {"target_precision": 0.95, "field": "page_type",
              "labels": {"blank": {"accept": 0.99, "review": 0.6}}}
    with ws:
        write_thresholds(ws, {"policy": policy, "model": None, "target_precision": 0.95,
                              "criterion": "precision", "labels": []})
        monkeypatch.setattr(ProjectCard, "validate", validate)
        saved = tomllib.loads(path.read_text(encoding="utf-8"))
        assert saved["policy"]["labels"]["blank"]["accept"] == 0.99  # the job's change
        assert saved["project"]["curator"] == "Bea"  # and the person's
        ws.refresh_card()
        assert ws.card.section("policy")["labels"]["blank"]["accept"] == 0.99


def test_a_card_change_that_cannot_be_saved_is_not_kept_in_memory(tmp_path, read_only):
    """Before, a failed save left the thresholds in the card in memory: a long-running web
    app showed a policy that glamlab.toml did not have."""
    ws = _project(tmp_path)
    with ws:
        read_only(ws.card_path)
        with pytest.raises(GlamlabError, match="glamlab.toml"):
            ws.update_card({"policy": {"target_precision": 0.5}, "count": {"slot": "D"}})
        assert ws.card.section("policy")["target_precision"] == 0.9
        assert "count" not in ws.card.raw
        assert ws.card.to_dict() == ws.card.saved
