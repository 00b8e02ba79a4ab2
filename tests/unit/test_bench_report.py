"""The benchmark report flags a figure the load generator may have limited."""

from bench.report import generator_share


def test_the_generators_share_of_a_core_is_its_cpu_per_operation_times_the_rate() -> None:
    assert generator_share({"per_second": 500.0, "cpu_ms": {"load generator": 0.5}}) == "25.0"


def test_a_generator_above_a_third_of_a_core_is_flagged() -> None:
    flagged = generator_share({"per_second": 1000.0, "cpu_ms": {"load generator": 0.4}})
    assert flagged == "40.0 (generator-bound?)"
