"""The judgements of prove/expectations.py's own expectations (verify/expectations.py), on what the
engine and a twin report."""

from __future__ import annotations

from dockerctl.verify import expectations as judge
from dockerctl.verify.verdict import Check, Verdict


def test_oom_is_the_oom_flag_or_sigkill_against_what_was_wanted() -> None:
    killed = judge.oom("web", "128M", True, 137, False, "dd")  # SIGKILL without the flag still counts
    assert killed.verdict is Verdict.ENFORCED and killed.observed == "exit 137, OOMKilled false"
    assert judge.oom("web", "128M", True, 0, False, "dd").verdict is Verdict.MISMATCH  # it survived
    survived = judge.oom("web", "16M", False, 0, False, "dd")
    assert (survived.desired, survived.verdict) == ("survives", Verdict.ENFORCED)
    assert judge.oom("web", "16M", False, 1, True, "dd").verdict is Verdict.MISMATCH


def test_a_published_port_is_connected_to_on_loopback_unless_bound_to_one_address() -> None:
    assert judge.published_port("web", 80, [{"HostIp": "0.0.0.0", "HostPort": "8080"}]) == ("127.0.0.1", 8080)
    assert judge.published_port("web", 80, [{"HostIp": "", "HostPort": "8080"}]) == ("127.0.0.1", 8080)
    assert judge.published_port("web", 80, [{"HostIp": "127.0.0.2", "HostPort": "81"}]) == ("127.0.0.2", 81)
    missing = judge.published_port("web", 80, [])
    assert isinstance(missing, Check) and missing.verdict is Verdict.MISMATCH and missing.claim == "O2"
    answered = judge.answers("web", 80, "127.0.0.1", 8080, True, "connected", "nc -z")
    assert answered.subject == "127.0.0.1:8080 → web:80" and answered.ok
    assert not judge.answers("web", 80, "127.0.0.1", 8080, False, "refused", "nc -z").ok


def test_no_device_is_unknown_not_a_pass() -> None:
    c = judge.no_device()
    assert c.verdict is Verdict.UNKNOWN and not c.ok
