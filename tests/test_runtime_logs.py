"""The filter on file descriptor 2 that drops Grappler's harmless notice while training."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from ganzoo.engine import runtime

NOTICE = (b"E0000 00:00:1.5 1805 meta_optimizer.cc:967] remapper failed: INVALID_ARGUMENT: "
          b"Mutation::Apply error: fanout 'x/LeakyReluGrad' exist for missing node 'y'.")


def test_notice_is_recognised_and_other_errors_are_not() -> None:
    assert runtime.grappler_notice(NOTICE)
    assert not runtime.grappler_notice(b"E0000 meta_optimizer.cc:967] layout failed: ...")
    assert not runtime.grappler_notice(b"remapper failed, said a user's own log line")


def test_filter_drops_only_the_notice_and_keeps_order(capfd: pytest.CaptureFixture[str]) -> None:
    with runtime.filtered_fd2(runtime.grappler_notice):
        os.write(2, b"first\n" + NOTICE + b"\nsecond\n")
        os.write(2, b"no newline at the end")
    os.write(2, b"\nafter\n")
    err = capfd.readouterr().err
    assert err == "first\nsecond\nno newline at the end\nafter\n"


def test_filter_passes_large_output_and_restores_fd2(capfd: pytest.CaptureFixture[str]) -> None:
    """More than a pipe holds, from another thread too: nothing blocks or goes missing."""
    before = os.fstat(2)
    lines = [f"line {i}".encode() for i in range(20000)]

    def writer() -> None:
        os.write(2, b"".join(line + b"\n" for line in lines[10000:]))

    with runtime.filtered_fd2(runtime.grappler_notice):
        thread = threading.Thread(target=writer)
        thread.start()
        thread.join()
        os.write(2, b"".join(line + b"\n" + NOTICE + b"\n" for line in lines[:10000]))
    after = os.fstat(2)
    assert (before.st_dev, before.st_ino) == (after.st_dev, after.st_ino)
    got = capfd.readouterr().err.splitlines()
    assert sorted(got) == sorted(line.decode() for line in lines)


def test_filter_restores_fd2_when_the_body_raises(capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(RuntimeError, match="boom"), \
            runtime.filtered_fd2(runtime.grappler_notice):
        os.write(2, b"before the error\n")
        raise RuntimeError("boom")
    os.write(2, b"still here\n")
    assert capfd.readouterr().err == "before the error\nstill here\n"


def test_logs_switch_shows_everything(monkeypatch: pytest.MonkeyPatch,
                                      capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GANZOO_TF_LOGS", "1")
    with runtime.without_grappler_notices():
        os.write(2, NOTICE + b"\n")
    assert capfd.readouterr().err == NOTICE.decode() + "\n"
    monkeypatch.delenv("GANZOO_TF_LOGS")
    with runtime.without_grappler_notices():
        os.write(2, NOTICE + b"\n")
    assert capfd.readouterr().err == ""


def test_a_child_that_outlives_the_block_does_not_hold_it_up(
        capfd: pytest.CaptureFixture[str]) -> None:
    """A process started inside the block inherits the pipe: the block ends while the child
    still runs, and the child's later lines still arrive."""
    import subprocess

    with runtime.filtered_fd2(runtime.grappler_notice):
        child = subprocess.Popen([sys.executable, "-c",
                                  "import os, time; time.sleep(5); "
                                  "os.write(2, b'from the child\\n')"])
    assert child.poll() is None
    child.wait()
    for _ in range(50):  # the filter's thread forwards the line soon after
        err = capfd.readouterr().err
        if err:
            break
        threading.Event().wait(0.1)
    assert err == "from the child\n"
