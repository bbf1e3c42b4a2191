"""Names in a playbook follow the engine's rule, `[a-zA-Z0-9][a-zA-Z0-9_.-]*` (moby's
RestrictedNameChars), and are refused at validation — at the playbook's FILE:LINE, naming the field,
saying what is wrong and what would be right — because they travel into text root tools read: a calico
policy name into iptables-restore's input (a newline there added `-I cali-FORWARD 1 -j ACCEPT`), host
names into BIRD's config, container names into dnsmasq's hosts file. Where a name is spliced into such
text it is checked again; and inside proof containers a playbook's paths go as arguments, not as shell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockerctl.checks.mounts import PROBE_SCRIPT, probe_argv
from dockerctl.errors import InvalidInput
from dockerctl.netmodels.calico import fabric as calico
from dockerctl.netmodels.weave import fabric as weave
from dockerctl.prove.volumes import write_argv
from dockerctl.spec.names import check_lab_name, check_name
from dockerctl.spec.playbook import load_playbook
from dockerctl.spec.topology import Topology

CALICO = (Path(__file__).parents[2] / "playbooks" / "calico-policy.yaml").read_text()
INJECTION = "web-ingress\n-I cali-FORWARD 1 -j ACCEPT\n#"
H = "version: 1\nname: names\n"

BAD = {
    "shell": "a;$(id)",
    "newline": "a\nb",
    "trailing-newline": "web\n",  # `^…$` with re.match lets this one through
    "script": "<script>",
    "leading-dash": "-web",
    "leading-dot": ".web",
    "space": "a b",
    "empty": "",
}


def _key(name: str) -> str:
    return json.dumps(name)  # a YAML double-quoted key, escapes and all


def _refused(tmp_path: Path, text: str) -> tuple[InvalidInput, Path]:
    path = tmp_path / "pb.yaml"
    path.write_text(text)
    with pytest.raises(InvalidInput) as caught:
        load_playbook(path)
    return caught.value, path


def _line_of(text: str, needle: str) -> int:
    return next(i for i, t in enumerate(text.splitlines(), 1) if needle in t)


def test_a_calico_policy_name_with_a_newline_is_refused_at_its_line(tmp_path: Path) -> None:
    assert "  web-ingress:\n" in CALICO
    text = CALICO.replace("  web-ingress:\n", f"  {_key(INJECTION)}:\n")
    err, path = _refused(tmp_path, text)
    assert err.where == f"{path}:{_line_of(text, 'cali-FORWARD')}", err.where
    assert err.message.startswith("policies: calico policy name "), err.message
    assert repr(INJECTION) in err.message  # shown escaped: the newline is not printed raw
    assert "'\\n'" in err.message and "use letters, digits, '_', '.' or '-'" in err.message
    assert "\n" not in str(err)


SECTIONS = {
    # section → (what the message calls it, a playbook with the name at @KEY@ in that section)
    "containers": ("container", H + "containers:\n  @KEY@: {}\n"),
    "networks": ("network", H + "networks:\n  @KEY@: {}\n"),
    "volumes": ("volume", H + "volumes:\n  @KEY@: {}\n"),
    "hosts": ("host", H + "hosts:\n  @KEY@: {kind: simulated}\n"),
    "services": ("service", H + "swarm: true\nservices:\n  @KEY@: {}\n"),
    "images": ("image", H + "images:\n  @KEY@: {build: ./app}\n"),
    "policies": ("calico policy", CALICO.replace("  web-ingress:\n", "  @KEY@:\n")),
}


@pytest.mark.parametrize("bad", list(BAD), ids=list(BAD))
@pytest.mark.parametrize("section", list(SECTIONS))
def test_a_bad_name_is_refused_at_validation(tmp_path: Path, section: str, bad: str) -> None:
    what, template = SECTIONS[section]
    name = BAD[bad]
    key = _key(name)
    text = template.replace("@KEY@", key)
    err, path = _refused(tmp_path, text)
    assert err.where == f"{path}:{_line_of(text, key)}", (err.where, err.message)
    assert err.message.startswith(f"{section}: {what} name {name!r} is refused: "), err.message
    assert "starting with a letter or digit" in err.message and "e.g. " in err.message
    assert "\n" not in str(err)


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("a;$(id)", "it holds ';', '$', '(', ')'"),
        ("-web", "it starts with '-'"),
        (".web", "it starts with '.'"),
        ("<script>", "it holds '<', '>'"),
        ("", "it is empty"),
    ],
)
def test_the_message_says_what_is_wrong_and_what_would_be_right(name: str, says: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_name(name, what="container", where="containers")
    assert says in caught.value.message
    right = caught.value.message.rsplit("e.g. ", 1)[1]
    assert check_name(right, what="container") == right  # the example given is itself a good name


def test_names_with_underscore_dot_and_dash_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "pb.yaml"
    path.write_text(
        H
        + "networks:\n  front_net.v1-a: {}\n"
        + "volumes:\n  data_v.1-x: {}\n"
        + "containers:\n"
        + "  web_1.a-b: {networks: [front_net.v1-a], volumes: ['data_v.1-x:/data']}\n"
        + "  w: {network_mode: 'container:web_1.a-b'}\n"
        + "expect:\n  - {claim: S3, mount: {container: web_1.a-b, path: /data}}\n"
    )
    pb = load_playbook(path)
    assert set(pb.containers) == {"web_1.a-b", "w"}
    assert set(pb.networks) == {"front_net.v1-a"} and set(pb.volumes) == {"data_v.1-x"}
    policy = tmp_path / "policy.yaml"
    policy.write_text(CALICO.replace("  web-ingress:\n", "  allow_web.v1-x:\n"))
    assert set(load_playbook(policy).policies) == {"allow_web.v1-x"}
    hosts = tmp_path / "hosts.yaml"
    hosts.write_text(CALICO.replace("cal1", "cal-1"))  # a host's own rule is stricter: no '_' or '.'
    assert "cal-1" in load_playbook(hosts).hosts


def test_every_playbook_shipped_still_validates() -> None:
    for path in sorted((Path(__file__).parents[2] / "playbooks").glob("*.yaml")):
        load_playbook(path)


def test_a_topology_refuses_a_bad_name_too() -> None:
    with pytest.raises(InvalidInput, match="container name 'a;b' is refused") as caught:
        Topology.parse({"containers": {"a;b": {}}})
    assert caught.value.where == "containers"


@pytest.mark.parametrize("name", ["cal\n", "h1\nx", "H1", "h_1"])
def test_the_stricter_host_rule_is_whole_too(tmp_path: Path, name: str) -> None:
    err, _ = _refused(tmp_path, H + f"hosts:\n  {_key(name)}: {{kind: simulated}}\n")
    assert "host name" in err.message


def test_names_are_matched_whole_not_up_to_a_trailing_newline(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        check_lab_name("lab\n")
    err, _ = _refused(tmp_path, H + 'host_links:\n  "mv0\\n": {peer: mv0p}\n')
    assert "host link name" in err.message


def test_a_proof_path_must_be_absolute(tmp_path: Path) -> None:
    text = (
        H + "containers:\n  web: {}\nexpect:\n  - {claim: S3, file: {container: web, path: x, contains: y}}\n"
    )
    err, path = _refused(tmp_path, text)
    assert "not an absolute path inside the container" in err.message
    assert err.where == f"{path}:6"


# ---- at the point of use: the name is checked again before it is spliced into a root tool's input ----


def test_compile_policies_refuses_a_name_that_would_add_a_rule() -> None:
    policy = calico.Policy(INJECTION, {"role": "web"}, (calico.Rule({"role": "client"}, 80),))
    workloads = [
        calico.Workload("web", "cal2", "10.7.0.65", "cali1111", {"role": "web"}),
        calico.Workload("client", "cal1", "10.7.0.1", "cali3333", {"role": "client"}),
    ]
    with pytest.raises(InvalidInput, match="calico policy name"):
        calico.compile_policies((policy,), workloads, "cal2")
    bad_veth = [calico.Workload("web", "cal2", "10.7.0.65", "cali1\n-A x", {"role": "web"})]
    with pytest.raises(InvalidInput, match="not an interface name"):
        calico.compile_policies((), bad_veth, "cal2")
    bad_ip = [calico.Workload("web", "cal2", "10.7.0.65 -j ACCEPT", "cali1111", {"role": "web"})]
    with pytest.raises(InvalidInput, match="not an IPv4 address"):
        calico.compile_policies((), bad_ip, "cal2")


def test_bird_conf_refuses_a_host_name_that_would_add_config() -> None:
    lab = calico.CalicoLab("cp", {"cal1": "198.18.112.10", "cal2\n}\nprotocol x {": "198.18.112.11"})
    with pytest.raises(InvalidInput, match="calico host name"):
        calico.bird_conf(lab, "cal1", "10.7.0.0/26")
    lab = calico.CalicoLab("cp", {"cal1": "198.18.112.10", "cal2": "198.18.112.11; x"})
    with pytest.raises(InvalidInput, match="not an IPv4 address"):
        calico.bird_conf(lab, "cal1", "10.7.0.0/26")


def test_weave_names_file_refuses_a_name_that_would_add_a_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKERCTL_STATE_DIR", str(tmp_path))
    wl = weave.WeaveLab("w", {"wv1": "198.18.113.10", "wv2": "198.18.113.11"})
    with pytest.raises(InvalidInput, match="weave container name"):
        weave.write_names(wl, {"a\n10.0.0.1 registry.weave.local": "10.32.0.2"})
    assert not weave.hosts_file(wl).exists()


# ---- inside proof containers: a playbook's paths are arguments, never shell text ----

PATH = "/data/x'; touch /pwned; echo '$(id)"


def test_the_survives_writer_gets_text_and_path_as_arguments() -> None:
    argv = write_argv("it's $(id)", PATH)
    assert argv[:2] == ["sh", "-c"] and argv[3:] == ["sh", "it's $(id)", PATH]
    assert PATH not in argv[2] and "$(id)" not in argv[2]
    assert '"$1"' in argv[2] and '"$2"' in argv[2]


def test_the_write_probe_gets_the_path_as_an_argument() -> None:
    argv = probe_argv(PATH)
    assert argv == ["sh", "-c", PROBE_SCRIPT, "sh", PATH]
    assert '"$1"' in PROBE_SCRIPT and "/" not in PROBE_SCRIPT
