"""`iptables-save` output as rules: the NAT that makes outbound traffic look like the host (seed O1) and
the DNAT that publishes ports (seed O2)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from dockerctl.hosts import Host
from dockerctl.observe.iproute import CommandFailed


@dataclass(frozen=True)
class Rule:
    table: str
    chain: str
    text: str  # the rule as iptables-save prints it, without "-A CHAIN"
    args: dict[str, str]  # option → value (negations kept as "!-i" etc.)
    target: str

    def get(self, option: str) -> str | None:
        return self.args.get(option)


def parse_iptables_save(text: str) -> list[Rule]:
    rules: list[Rule] = []
    table = ""
    for line in text.splitlines():
        if line.startswith("*"):
            table = line[1:].strip()
            continue
        if not line.startswith("-A "):
            continue
        tokens = shlex.split(line)
        chain = tokens[1]
        args: dict[str, str] = {}
        i, negate = 2, False
        while i < len(tokens):
            tok = tokens[i]
            if tok == "!":
                negate = True
                i += 1
                continue
            if tok.startswith("-"):
                value = ""
                j = i + 1
                while j < len(tokens) and not tokens[j].startswith("-") and tokens[j] != "!":
                    value = f"{value} {tokens[j]}".strip()
                    j += 1
                key = f"!{tok}" if negate else tok
                if tok == "-m":  # several modules: keep them all
                    args[key] = f"{args[key]} {value}".strip() if key in args else value
                else:
                    args[key] = value
                i, negate = j, False
                continue
            i += 1
        rules.append(Rule(table, chain, " ".join(tokens[2:]), args, args.get("-j", "")))
    return rules


def iptables_save(host: Host, table: str) -> str:
    done = host.run(["iptables-save", "-t", table])
    if not done.ok:
        raise CommandFailed(f"iptables-save -t {table} failed on {host.name}: {done.stderr.strip()}")
    return done.stdout


def masquerade_for(rules: list[Rule], subnet: str) -> Rule | None:
    """POSTROUTING -s <subnet> ! -o <bridge> -j MASQUERADE: outbound from the subnet leaves with the host's address."""
    for r in rules:
        if (
            r.table == "nat"
            and r.chain == "POSTROUTING"
            and r.target == "MASQUERADE"
            and r.get("-s") == subnet
        ):
            return r
    return None


def dnat_for(rules: list[Rule], host_port: str, proto: str = "tcp") -> list[Rule]:
    return [
        r
        for r in rules
        if r.table == "nat" and r.target == "DNAT" and r.get("--dport") == host_port and r.get("-p") == proto
    ]
