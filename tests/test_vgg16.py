"""A3 vgg16 against independent references: torch.nn modules built from the
same layer list (parameter counts, output shapes), the receptive field by a
plain recurrence loop and by autograd (the input pixels a centre output unit
depends on), and the 138M total of Simonyan & Zisserman (2015), Table 2."""
from __future__ import annotations

import json
import random
from fractions import Fraction

import pytest
import sympy as sp
import torch
from torch import nn

from derivations import vgg16
from engine.errors import UsageError
from engine.model.problem import Table

LENET5 = [["conv", 5, 1, 2, 6], ["pool", 2, 2, 0], ["conv", 5, 1, 0, 16], ["pool", 2, 2, 0],
          ["fc", 120], ["fc", 84], ["fc", 10]]
ALEXNET_LIKE = [["conv", 11, 4, 2, 64], ["pool", 3, 2, 0], ["conv", 5, 1, 2, 192], ["pool", 3, 2, 0],
                ["conv", 3, 1, 1, 384], ["conv", 3, 1, 1, 256], ["conv", 3, 1, 1, 256], ["pool", 3, 2, 0],
                ["fc", 4096], ["fc", 4096], ["fc", 1000]]
#: (overrides as typed on the command line, layers, input size, channels)
NETWORKS = [
    ({}, vgg16.VGG16_LAYERS, 224, 3),
    ({"input_size": "32"}, vgg16.VGG16_LAYERS, 32, 3),
    ({"layers": json.dumps(LENET5), "input_size": "28", "input_channels": "1"}, LENET5, 28, 1),
    ({"layers": json.dumps(ALEXNET_LIKE)}, ALEXNET_LIKE, 224, 3),
    *[({"layers": json.dumps(layers), "input_size": "64"}, layers, 64, 3)
      for layers in (vgg16.sample_layers(random.Random(seed)) for seed in (1, 2, 3))],
]
NET_IDS = ["vgg16", "vgg16@32", "lenet5", "alexnet-like", "variant1", "variant2", "variant3"]


def torch_modules(layers, channels, size, device="meta"):
    """(kind, module) pairs built with torch.nn from the layer list."""
    modules, c, shape = [], channels, torch.empty(1, channels, size, size, device=device)
    for kind, *values in layers:
        if kind == "conv":
            k, s, p, c_out = values
            module = nn.Conv2d(c, c_out, k, s, p, device=device, dtype=torch.float64)
            c = c_out
        elif kind == "pool":
            k, s, p = values
            module = nn.MaxPool2d(k, s, p)
        else:
            if shape.dim() > 2:
                modules.append(("flatten", nn.Flatten()))
                shape = modules[-1][1](shape)
            module = nn.Linear(shape.shape[1], values[0], device=device, dtype=torch.float64)
        shape = module(shape.to(torch.float64))
        modules.append((kind, module))
    return modules


def torch_counts(layers, channels, size):
    counts = {"conv": 0, "fc": 0}
    for kind, module in torch_modules(layers, channels, size):
        if kind in counts:
            counts[kind] += sum(p.numel() for p in module.parameters())
    return counts


def recurrence_loop(layers):
    """Receptive field after the last conv/pool layer by r += (k - 1) j; j *= s."""
    r, j = 1, 1
    for kind, *values in layers:
        if kind == "fc":
            break
        k, s = values[0], values[1]
        r += (k - 1) * j
        j *= s
    return r


def autograd_receptive_field(layers, size):
    """Width of the input region the centre unit of the last conv/pool output
    depends on: 1-channel copies of the layers with positive weights (average
    pooling has max-pooling's geometry), backpropagated from that unit."""
    x = torch.ones(1, 1, size, size, dtype=torch.float64, requires_grad=True)
    y = x
    for kind, *values in layers:
        if kind == "fc":
            break
        k, s, p = values[:3]
        if kind == "conv":
            conv = nn.Conv2d(1, 1, k, s, p, bias=False, dtype=torch.float64)
            nn.init.constant_(conv.weight, 1.0)
            y = conv(y)
        else:
            y = nn.functional.avg_pool2d(y, k, s, p, count_include_pad=True)
    centre = y.shape[-1] // 2
    y[0, 0, centre, centre].backward()
    rows = (x.grad[0, 0] != 0).any(dim=1).nonzero().flatten()
    return int(rows.max() - rows.min() + 1)


@pytest.fixture(scope="module", params=range(len(NETWORKS)), ids=NET_IDS)
def network(request):
    overrides, layers, size, channels = NETWORKS[request.param]
    return vgg16.PROBLEM.solve(overrides), layers, size, channels


def test_parameter_counts_match_torch_modules(network):
    sol, layers, size, channels = network
    counts = torch_counts(layers, channels, size)
    assert sol.answers["vgg16.params_conv"].value == counts["conv"]
    assert sol.answers["vgg16.params_fc"].value == counts["fc"]
    assert sol.answers["vgg16.params_total"].value == counts["conv"] + counts["fc"]
    assert sol.answers["vgg16.params_total"].json_value == counts["conv"] + counts["fc"]
    assert isinstance(sol.answers["vgg16.params_total"].json_value, int)


def test_conv_fc_ratio_is_the_exact_fraction_of_torch_counts(network):
    sol, layers, size, channels = network
    counts = torch_counts(layers, channels, size)
    ratio = Fraction(counts["conv"], counts["fc"])
    assert sol.answers["vgg16.conv_fc_ratio"].value == sp.Rational(ratio.numerator, ratio.denominator)


def test_per_layer_counts_and_shapes_match_torch(network):
    sol, layers, size, channels = network
    (table,) = [b for p in sol.parts if p.label == "b" for b in p.blocks if isinstance(b, Table)]
    modules = [(kind, m) for kind, m in torch_modules(layers, channels, size) if kind != "flatten"]
    assert [row[4] for row in table.rows] == [sum(p.numel() for p in m.parameters()) for _, m in modules]
    rows = vgg16.layer_table(layers, size, channels)
    assert len(rows) == len(modules)
    shape = torch.empty(1, channels, size, size, device="meta", dtype=torch.float64)
    for row, (kind, module) in zip(rows, modules):
        shape = module(nn.Flatten()(shape) if kind == "fc" else shape)
        expected = (shape.shape[2], shape.shape[3], shape.shape[1]) if shape.dim() == 4 else (shape.shape[1],)
        assert row.shape_out == expected


def test_receptive_field_matches_the_plain_recurrence(network):
    sol, layers, _, _ = network
    assert sol.answers["vgg16.receptive_field"].value == recurrence_loop(layers)


@pytest.mark.parametrize("index", [0, 2, 3], ids=["vgg16", "lenet5", "alexnet-like"])
def test_receptive_field_matches_autograd(index):
    overrides, layers, _, _ = NETWORKS[index]
    field = vgg16.PROBLEM.solve(overrides).answers["vgg16.receptive_field"].value
    # The field does not depend on the input size; on a 512 x 512 input the
    # centre unit's field lies inside the image (no padding rows are cut off).
    assert field == autograd_receptive_field(layers, 512)


def test_vgg16_total_is_the_published_138_million():
    total = vgg16.PROBLEM.solve().answers["vgg16.params_total"].value
    # Simonyan & Zisserman (2015), Table 2: configuration D has 138 million parameters.
    assert round(total / 10**6) == 138


def test_vgg16_final_output_is_7_by_7_by_512():
    rows = vgg16.layer_table(vgg16.VGG16_LAYERS, 224, 3)
    spatial = [r for r in rows if r.kind != "fc"]
    assert spatial[-1].shape_out == (7, 7, 512)
    assert [r.name for r in rows if r.kind == "fc"] == ["fc6", "fc7", "fc8"]


@pytest.mark.parametrize("overrides, fragments", [
    ({}, [r"$224 \times 224 \times 3$", r"$7 \times 7 \times 512$", "conv3-64", "FC-4096"]),
    ({"input_size": "32"}, [r"$32 \times 32 \times 3$", r"$1 \times 1 \times 512$"]),
    ({"layers": json.dumps(LENET5), "input_size": "28", "input_channels": "1"},
     [r"$28 \times 28 \times 1$", "conv5-6", "conv5-16/s1p0", "FC-10"]),
])
def test_statement_shows_the_current_network(overrides, fragments):
    statement = vgg16.PROBLEM.solve(overrides).statement_text
    for fragment in fragments:
        assert fragment in statement


PREFIX = "problem 'vgg16' is not well posed at these values: "


@pytest.mark.parametrize("overrides, message", [
    ({"layers": '[["conv", 3, 1, 1]]'}, PREFIX + "layer 1 (conv) needs 4 numbers: k, s, p, C_out"),
    ({"layers": '[["conv", 3, 1, 1, 4.5], ["fc", 3]]'}, PREFIX + "layer 1 (conv): C_out = 9/2 must be a whole number"),
    ({"layers": '[["conv", 0, 1, 1, 4], ["fc", 3]]'}, PREFIX + "layer 1 (conv): k = 0 must be positive"),
    ({"layers": '[["fc", 3], ["conv", 3, 1, 1, 4]]'}, PREFIX + "layer 2 (conv) comes after a fully connected layer"),
    ({"layers": '[["conv", 3, 1, 1, 4]]'},
     PREFIX + "the network needs at least one conv and one fc layer (the ratio of their parameter counts)"),
    ({"layers": '[[3, 1, 1, 4]]'},
     PREFIX + 'layer 1 must start with one of conv, pool, fc, e.g. ["conv", 3, 1, 1, 64]'),
    ({"input_size": "8"}, PREFIX + "layer 14 (pool 2x2) gets a 1x1 input: too small"),
    ({"input_size": "0"}, PREFIX + "input_size = 0 must be at least 1"),
    ({"layers": '[["Conv", 3, 1, 1, 4]]'}, "layers: 'Conv' is not one of conv, pool, fc"),
    ({"input_size": "22.5"}, "input_size='22.5': input_size must be a whole number"),
])
def test_bad_networks_are_usage_errors(overrides, message):
    with pytest.raises(UsageError) as info:
        vgg16.PROBLEM.solve(overrides)
    assert str(info.value) == message


@pytest.mark.parametrize("seed", range(5))
def test_sampled_variants_are_well_posed(seed):
    layers = vgg16.PROBLEM.parameter("layers").sample(random.Random(seed))
    values = vgg16.PROBLEM.values({"layers": json.dumps(layers)})
    assert vgg16.PROBLEM.well_posed(values) is None
