from __future__ import annotations

import pytest

from dockerctl.errors import InvalidInput
from dockerctl.spec.models import MIN_MEMORY, ContainerSpec, Limits

M100 = 100 * 1024 * 1024


def test_swap_defaults_to_twice_memory_seed_r3() -> None:
    limits = Limits(memory=M100)
    assert limits.effective_memory == M100
    assert limits.effective_memory_swap == 2 * M100
    assert limits.host_config() == {"mem_limit": M100}


def test_swap_zero_means_unset_like_docker() -> None:
    assert Limits(memory=M100, memory_swap=0).effective_memory_swap == 2 * M100


def test_swap_equal_to_memory_means_no_swap_and_minus_one_unlimited() -> None:
    assert Limits(memory=M100, memory_swap=M100).effective_memory_swap == M100
    unlimited = Limits(memory=M100, memory_swap=-1)
    assert unlimited.effective_memory_swap is None
    assert unlimited.host_config() == {"mem_limit": M100, "memswap_limit": -1}


def test_no_memory_means_no_limits() -> None:
    limits = Limits()
    assert limits.effective_memory is None and limits.effective_memory_swap is None
    assert limits.host_config() == {}
    assert Limits(memory=0).effective_memory is None


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"memory_swap": 2 * M100}, "memory_swap", "needs -m/--memory"),
        ({"memory": M100, "memory_swap": M100 // 2}, "memory_swap", "smaller than the memory limit"),
        ({"memory": MIN_MEMORY - 1}, "memory", "minimum memory limit"),
        ({"memory": -5}, "memory", "negative"),
        ({"memory": M100, "memory_swap": -7}, "memory_swap", "-1 (unlimited)"),
    ],
)
def test_bad_limits_name_their_field(kwargs: dict[str, int], field: str, words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Limits(**kwargs)
    assert caught.value.field == field
    assert words in caught.value.message


def test_container_names_follow_docker_rules() -> None:
    assert ContainerSpec(image="dockerctl/base", name="web-1.a_b").name == "web-1.a_b"
    for bad in ("a", "-web", "bad name", "x/y"):
        with pytest.raises(InvalidInput) as caught:
            ContainerSpec(image="dockerctl/base", name=bad)
        assert caught.value.field == "name"


def test_unknown_spec_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="extra"):
        ContainerSpec.model_validate({"image": "x", "memroy": 5})
