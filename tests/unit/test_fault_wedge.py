"""The fault suite's recognition of daprd's unregistering wedge (tests/faults/wedge.py)."""

from pathlib import Path

from tests.faults.wedge import WedgeWatch, undisseminated_close

CLOSED = 'level=info msg="work item stream closed" app_id=orders'
DISSEMINATED = 'level=info msg="Dissemination complete for version 8 (changed types [...])"'
OTHER = 'level=info msg="work item stream established by user-agent: [grpc-python]"'


def log_of(tmp_path: Path, *lines: str) -> Path:
    log = tmp_path / "daprd-orders.log"
    log.write_text("".join(f"{line}\n" for line in lines))
    return log


def test_a_close_followed_by_a_dissemination_is_healthy(tmp_path: Path) -> None:
    log = log_of(tmp_path, OTHER, CLOSED, DISSEMINATED, OTHER, CLOSED, OTHER, DISSEMINATED)

    assert undisseminated_close(log) is None


def test_the_last_close_without_a_dissemination_is_found(tmp_path: Path) -> None:
    log = log_of(tmp_path, CLOSED, DISSEMINATED, OTHER, CLOSED, OTHER, OTHER)

    assert undisseminated_close(log) == 3


def test_a_close_is_called_wedged_only_after_the_grace(tmp_path: Path) -> None:
    log = log_of(tmp_path, CLOSED)

    assert WedgeWatch(log, grace=60.0).state() == "catching up"
    assert WedgeWatch(log, grace=0.0).state() == "wedged"


def test_a_new_close_starts_the_grace_again(tmp_path: Path) -> None:
    log = log_of(tmp_path, CLOSED)
    watch = WedgeWatch(log, grace=60.0)
    watch.state()
    log.write_text(f"{CLOSED}\n{DISSEMINATED}\n{CLOSED}\n")

    assert watch.state() == "catching up"


def test_sound_means_every_close_was_followed_by_a_dissemination(tmp_path: Path) -> None:
    assert WedgeWatch(log_of(tmp_path, CLOSED, DISSEMINATED)).state() == "sound"
    assert WedgeWatch(log_of(tmp_path, CLOSED, DISSEMINATED, CLOSED)).state() != "sound"


def test_the_watch_reads_only_what_was_appended_since_it_last_looked(tmp_path: Path) -> None:
    log = log_of(tmp_path, OTHER, CLOSED)
    watch = WedgeWatch(log, grace=60.0)
    assert watch.state() == "catching up"

    with log.open("a") as appending:
        appending.write(f"{DISSEMINATED}\n{OTHER}\n")
    assert watch.state() == "sound"

    with log.open("a") as appending:
        appending.write(f"{CLOSED}\n{OTHER[:20]}")  # the last line is still being written
    assert watch.state() == "catching up"
