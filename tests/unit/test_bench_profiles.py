"""The profile report's reading of py-spy's collapsed stacks and of `go tool pprof -top`."""

import pytest

from bench.profiles import go_area, go_areas, python_area, python_areas


@pytest.mark.parametrize(
    ("frame", "area"),
    [
        ("handle (starlette/routing.py:74)", "starlette"),
        ("dumps (/usr/lib/python3.11/json/__init__.py:231)", "json"),
        ("_run (/x/.venv/lib/python3.11/site-packages/grpc/_channel.py:1)", "grpc"),
        ("place (app/checkout.py:40)", "app"),
        ("run (threading.py:975)", "threading"),
    ],
)
def test_a_python_frame_belongs_to_its_package_or_stdlib_module(frame: str, area: str) -> None:
    assert python_area(frame) == area


@pytest.mark.parametrize(
    ("function", "area"),
    [
        ("github.com/dapr/dapr/pkg/actors/engine.(*engine).Call", "dapr/pkg/actors"),
        ("github.com/dapr/durabletask-go/backend.(*worker).run", "durabletask-go"),
        ("google.golang.org/grpc/internal/transport.(*http2Client).reader", "grpc"),
        ("golang.org/x/net/http2.(*Framer).ReadFrame", "x/net"),
        ("runtime.mallocgc", "runtime"),
        ("runtime/internal/syscall.Syscall6", "runtime"),
        ("net/http.(*conn).serve", "net/http"),
        ("encoding/json.Marshal", "encoding/json"),
        ("sync.(*Mutex).Lock", "sync"),
        ("internal/runtime/syscall.Syscall6", "runtime"),
        ("internal/poll.(*FD).Read", "internal/poll"),
        ("modernc.org/sqlite/lib.sqlite3VdbeExec", "modernc.org/sqlite"),
        ("go.opencensus.io/stats/view.(*worker).start", "go.opencensus.io/stats"),
    ],
)
def test_a_go_function_belongs_to_its_module_or_package(function: str, area: str) -> None:
    assert go_area(function) == area


def test_collapsed_stacks_count_self_at_the_leaf_and_inclusive_once_per_stack() -> None:
    raw = (
        "main (app/__main__.py:1);serve (uvicorn/server.py:2);dumps (json/__init__.py:3) 30\n"
        "main (app/__main__.py:1);route (app/api/orders.py:9) 50\n"
        "main (app/__main__.py:1);route (app/api/orders.py:9);call (app/api/x.py:1) 20\n"
    )
    areas, hottest, samples = python_areas(raw)
    by_name = {area.name: area for area in areas}
    assert samples == 100
    assert (by_name["app"].self_percent, by_name["app"].inclusive_percent) == (70.0, 100.0)
    assert (by_name["json"].self_percent, by_name["uvicorn"].self_percent) == (30.0, 0.0)
    assert by_name["uvicorn"].inclusive_percent == 30.0
    assert hottest[0] == ("route (app/api/orders.py:9)", 50.0)


def test_pprof_top_sums_flat_time_by_area_and_lists_dapr_by_cumulative() -> None:
    top = """File: daprd
Showing nodes accounting for 2s, 100% of 2s total
      flat  flat%   sum%        cum   cum%
     0.50s 25.00% 25.00%      0.50s 25.00%  runtime/internal/syscall.Syscall6
     500ms 25.00% 50.00%      1.20s 60.00%  github.com/dapr/dapr/pkg/actors/engine.(*engine).Call
     0.40s 20.00% 70.00%      0.40s 20.00%  runtime.mallocgc
     0.60s 30.00%   100%      1.80s 90.00%  github.com/dapr/dapr/pkg/api/grpc.(*api).InvokeActor
"""
    areas, hottest, samples = go_areas(top)
    by_name = {area.name: area.self_percent for area in areas}
    assert samples == 2000
    assert by_name == {"runtime": 45.0, "dapr/pkg/actors": 25.0, "dapr/pkg/api": 30.0}
    assert hottest[0] == ("github.com/dapr/dapr/pkg/api/grpc.(*api).InvokeActor", 90.0)
