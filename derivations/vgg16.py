"""A3 ``vgg16``: receptive field and parameter count of VGG16.

VGG16 is configuration D of Simonyan & Zisserman (2015), "Very deep
convolutional networks for large-scale image recognition", ICLR, Table 1;
its 138M parameters are their Table 2. The network is the parameter
``layers``, a list in the notation

* ``["conv", k, s, p, C_out]``: k x k convolution, stride s, zero padding p,
  C_out filters, each with a bias;
* ``["pool", k, s, p]``: k x k max-pooling, stride s, padding p (no parameters);
* ``["fc", n_out]``: fully connected layer with n_out units and biases (the
  first one flattens its input);

so any other plain CNN works too. Per layer the module computes the output
size floor((n + 2p - k)/s) + 1, the jump (effective stride) and receptive
field by r_out = r_in + (k - 1) j_in, j_out = j_in s (Araujo, Norris & Sim
2019, "Computing receptive fields of convolutional neural networks",
Distill, Eq. 1-2), and the parameter counts (k^2 C_in + 1) C_out and
(n_in + 1) n_out. Receptive fields are in input pixels, counts in weights.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import sympy as sp

from engine.math.latex import to_latex
from engine.model.display import unevaluated_sum
from engine.model.checking import Alias, Checking, Mistake
from engine.model.problem import Parameter, Problem, Solution, Tex

#: Layer kinds as data: kind -> the names of the numbers that follow it.
LAYER_FIELDS: dict[str, tuple[str, ...]] = {
    "conv": ("k", "s", "p", "C_out"),
    "pool": ("k", "s", "p"),
    "fc": ("n_out",),
}
#: Fields that may be 0 (padding); all others must be positive.
MAY_BE_ZERO = frozenset({"p"})

#: The receptive field r and the parameter counts P_conv, P_fc, P of the derivations.
R = sp.Symbol("r", positive=True, integer=True)
P = {kind: sp.Symbol(rf"P_{{\mathrm{{{kind}}}}}", positive=True, integer=True) for kind in ("conv", "fc")}
P_TOTAL = sp.Symbol("P", positive=True, integer=True)


def _vgg16_layers() -> list[list[Any]]:
    """Configuration D: five blocks of 3x3 convolutions (stride 1, padding 1)
    with 64, 128, 256, 512, 512 filters, each block closed by a 2x2 max-pool
    of stride 2, then FC-4096, FC-4096, FC-1000."""
    layers: list[list[Any]] = []
    for convs, width in ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512)):
        layers += [["conv", 3, 1, 1, width] for _ in range(convs)]
        layers.append(["pool", 2, 2, 0])
    return layers + [["fc", 4096], ["fc", 4096], ["fc", 1000]]


VGG16_LAYERS = _vgg16_layers()


@dataclass(frozen=True)
class LayerRow:
    """One layer of the network with everything the tables show.

    shape_out: (height, width, channels) for conv/pool, (units,) for fc;
    jump, receptive_field: after the layer, in input pixels (None after the
    first fc layer, whose units see the whole input); params: weights + biases."""

    name: str
    kind: str
    fields: dict
    shape_in: tuple[int, ...]
    shape_out: tuple[int, ...]
    jump_in: int | None
    jump: int | None
    rf_in: int | None
    receptive_field: int | None
    params: int
    formula: str


def _spatial(n: int, k: int, s: int, p: int) -> int:
    return (n + 2 * p - k) // s + 1


def layer_table(layers: Sequence[Sequence[Any]], size: int, channels: int, *, input_channels: bool = True,
                conv_bias: bool = True, fc_bias: bool = True, flatten: bool = True) -> list[LayerRow]:
    """Walk the layer list from a size x size x channels input.

    The switches count parameters as a mistaken student does:
    ``input_channels=False`` counts k x k x 1 filters, ``conv_bias`` /
    ``fc_bias=False`` leave out the biases, ``flatten=False`` feeds the first
    fully connected layer the channels only (not H x W x C).

    Raises ValueError (with the layer's position) for a malformed layer, a
    conv/pool after a fc layer, or a spatial size that drops below 1."""
    rows: list[LayerRow] = []
    shape: tuple[int, ...] = (size, size, channels)
    jump, rf = 1, 1
    block, conv_in_block, fc_count = 1, 0, 0
    for position, layer in enumerate(layers, start=1):
        kind, values = _check_layer(position, layer)
        if kind in ("conv", "pool"):
            if len(shape) != 3:
                raise ValueError(f"layer {position} ({kind}) comes after a fully connected layer")
            k, s, p = values["k"], values["s"], values["p"]
            n_out = _spatial(shape[0], k, s, p)
            if n_out < 1:
                raise ValueError(f"layer {position} ({kind} {k}x{k}) gets a {shape[0]}x{shape[0]} input: too small")
            c_in = shape[2]
            if kind == "conv":
                c_out = values["C_out"]
                conv_in_block += 1
                name = f"conv{block}_{conv_in_block}"
                counted, bias = (c_in if input_channels else 1), (1 if conv_bias else 0)
                params = (k * k * counted + bias) * c_out
                formula = rf"({k} \cdot {k} \cdot {counted} + {bias}) \cdot {c_out}"
            else:
                c_out = c_in
                name = f"pool{block}"
                block, conv_in_block = block + 1, 0
                params, formula = 0, "0"
            new_jump, new_rf = jump * s, rf + (k - 1) * jump
            rows.append(LayerRow(name, kind, values, shape, (n_out, n_out, c_out), jump, new_jump, rf, new_rf,
                                 params, formula))
            shape, jump, rf = (n_out, n_out, c_out), new_jump, new_rf
        else:
            n_in = math.prod(shape) if flatten else shape[-1]
            n_out = values["n_out"]
            bias = 1 if fc_bias else 0
            fc_count += 1
            name = f"fc{block + fc_count - 1 + (0 if conv_in_block == 0 else 1)}"
            rows.append(LayerRow(name, kind, values, shape, (n_out,), None, None, None, None,
                                 (n_in + bias) * n_out, rf"({n_in} + {bias}) \cdot {n_out}"))
            shape = (n_out,)
    return rows


def _check_layer(position: int, layer: Sequence[Any]) -> tuple[str, dict]:
    if not isinstance(layer, (list, tuple)) or not layer or layer[0] not in LAYER_FIELDS:
        kinds = ", ".join(LAYER_FIELDS)
        raise ValueError(f"layer {position} must start with one of {kinds}, e.g. [\"conv\", 3, 1, 1, 64]")
    kind, numbers_ = layer[0], list(layer[1:])
    names = LAYER_FIELDS[kind]
    if len(numbers_) != len(names):
        raise ValueError(f"layer {position} ({kind}) needs {len(names)} numbers: {', '.join(names)}")
    values = {}
    for name, value in zip(names, numbers_):
        value = sp.Integer(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if not (isinstance(value, sp.Basic) and value.is_Integer):
            raise ValueError(f"layer {position} ({kind}): {name} = {value} must be a whole number")
        if value < 0 or (value == 0 and name not in MAY_BE_ZERO):
            raise ValueError(f"layer {position} ({kind}): {name} = {value} must be positive")
        values[name] = int(value)
    return kind, values


def _well_posed(values: Mapping[str, Any]) -> str | None:
    """The reason the layer list does not describe a network, or None."""
    try:
        rows = layer_table(values["layers"], int(values["input_size"]), int(values["input_channels"]))
    except ValueError as exc:
        return str(exc)
    if not any(r.kind == "conv" for r in rows) or not any(r.kind == "fc" for r in rows):
        return "the network needs at least one conv and one fc layer (the ratio of their parameter counts)"
    return None


def _scalar_ok(values: Mapping[str, Any]) -> str | None:
    for name in ("input_size", "input_channels"):
        if values[name] < 1:
            return f"{name} = {values[name]} must be at least 1"
    return _well_posed(values)


def sample_layers(rng: random.Random) -> list[list[Any]]:
    """A VGG-like variant: 3-5 blocks of 1-3 3x3 convolutions whose width
    doubles (capped at 512), each closed by a 2x2 max-pool, then 1-2 hidden
    fc layers and a classifier."""
    layers: list[list[Any]] = []
    width = rng.choice((16, 32, 64))
    for _ in range(rng.randint(3, 5)):
        layers += [["conv", 3, 1, 1, width] for _ in range(rng.randint(1, 3))]
        layers.append(["pool", 2, 2, 0])
        width = min(2 * width, 512)
    hidden = rng.choice((256, 512, 1024, 4096))
    layers += [["fc", hidden] for _ in range(rng.randint(1, 2))]
    return layers + [["fc", rng.choice((10, 100, 1000))]]


#: Input sizes of exam variants (VGG-like networks are trained on multiples of 32).
VARIANT_INPUT_SIZES = (32, 64, 96, 128, 160, 192, 224, 256)


def sample_input_size(rng: random.Random) -> int:
    """An input side length for an exam variant: a multiple of 32 from 32 to 256."""
    return rng.choice(VARIANT_INPUT_SIZES)


def sample_input_channels(rng: random.Random) -> int:
    """1 (grayscale) or 3 (RGB) input channels for an exam variant."""
    return rng.choice((1, 3))


def describe(layers: Sequence[Sequence[Any]]) -> str:
    """The layer list in the notation of Simonyan & Zisserman's Table 1:
    conv3-64, conv3-64, maxpool, ..., FC-4096 (stride and padding added when
    they differ from 1 and (k-1)/2)."""
    words = []
    for layer in layers:
        kind, *rest = layer
        if kind == "conv":
            k, s, p, c = (int(v) for v in rest)
            extra = "" if (s, 2 * p) == (1, k - 1) else f"/s{s}p{p}"
            words.append(f"conv{k}-{c}{extra}")
        elif kind == "pool":
            k, s, p = (int(v) for v in rest)
            words.append("maxpool" if (k, s, p) == (2, 2, 0) else f"maxpool{k}/s{s}p{p}")
        else:
            words.append(f"FC-{int(rest[0])}")
    return ", ".join(words)


def _shape_tex(shape: tuple[int, ...]) -> Tex:
    return Tex(r" \times ".join(str(d) for d in shape))


def _statement(sol: Solution, rows: list[LayerRow]) -> None:
    size, channels = sol.latex("input_size"), sol.latex("input_channels")
    last = [r for r in rows if r.kind != "fc"][-1]
    network = ("VGG16 (configuration D of Simonyan & Zisserman 2015)" if sol["layers"] == VGG16_LAYERS
               else "a plain VGG-style CNN")
    layers = describe(sol["layers"])
    other = r"; /s$s$p$p$: stride $s$, padding $p$" if "/s" in layers else ""
    sol.statement(
        rf"Consider {network} on a ${size} \times {size} \times {channels}$ input, every layer with biases: "
        rf"{layers} (conv$k$-$C$: a $k \times k$ convolution with $C$ filters, stride 1, "
        rf"padding $\frac{{k - 1}}{{2}}$; maxpool: $2 \times 2$, stride 2; FC-$n$: fully connected, $n$ units{other}). "
        rf"(a) Give the receptive field of one unit of the final ${_shape_tex(last.shape_out).source}$ "
        r"output by the recurrence $r_{\mathrm{out}} = r_{\mathrm{in}} + (k - 1) j_{\mathrm{in}}$, "
        r"$j_{\mathrm{out}} = j_{\mathrm{in}} s$, layer by layer. "
        r"(b) Count the parameters per layer, of the convolutional and of the fully connected layers, "
        r"in total, and the ratio of convolutional to fully connected parameters."
    )


#: The receptive-field rules: the recurrence, and the usual mistakes (choice "receptive_field").
RECEPTIVE_FIELD_RULES = ("recurrence", "without_jump", "input_size", "last_convolution")


def _part_receptive_field(sol: Solution, rows: list[LayerRow]) -> None:
    spatial = [r for r in rows if r.kind != "fc"]
    rule = sol.choice("receptive_field", "recurrence")
    if rule == "last_convolution" and spatial[-1].kind == "pool" and len(spatial) > 1:
        spatial = spatial[:-1]  # the final pooling left out
    with sol.part("a", "Receptive field") as part:
        part.text(
            r"Start from one input pixel: $r_0 = 1$, $j_0 = 1$. A layer with kernel $k$ and stride $s$ widens "
            r"the receptive field by $k - 1$ of its input units, each $j_{\mathrm{in}}$ input pixels apart, and "
            r"multiplies the jump (the distance in input pixels between neighbouring units) by $s$: "
            r"$r_{\mathrm{out}} = r_{\mathrm{in}} + (k - 1) j_{\mathrm{in}}$, $j_{\mathrm{out}} = j_{\mathrm{in}} s$ "
            r"(Araujo et al. 2019). Padding shifts the field but does not change its size."
        )
        table = [["input", "", "", "", _shape_tex(rows[0].shape_in), sp.Integer(1), sp.Integer(1)]]
        for r in spatial:
            table.append([r.name, sp.Integer(r.fields["k"]), sp.Integer(r.fields["s"]), sp.Integer(r.fields["p"]),
                          _shape_tex(r.shape_out), sp.Integer(r.jump), sp.Integer(r.receptive_field)])
        part.table(["layer", Tex("k"), Tex("s"), Tex("p"), "output", Tex("j"), Tex("r")], table,
                   caption="Jump j and receptive field r (input pixels) after each layer.")
        terms = [sp.Integer(1)] + [sp.Mul(sp.Integer(r.fields["k"] - 1), sp.Integer(r.jump_in), evaluate=False)
                                   for r in spatial]
        field = sp.Integer(spatial[-1].receptive_field)
        if rule == "without_jump":
            terms = [sp.Integer(1)] + [sp.Integer(r.fields["k"] - 1) for r in spatial]
            field = sp.Integer(1 + sum(r.fields["k"] - 1 for r in spatial))
        elif rule == "input_size":
            terms, field = [sp.Integer(int(sol["input_size"]))], sp.Integer(int(sol["input_size"]))
        part.define(R, unevaluated_sum(terms))
        d = part.derivation(R, title="The recurrence unrolled")
        d.step(unevaluated_sum(terms), r"$r = 1 + \sum_l (k_l - 1) j_{l-1}$ over the layers of the table")
        d.step(field, "integer arithmetic")
        part.text(
            rf"One unit of the final ${_shape_tex(spatial[-1].shape_out).source}$ output sees a "
            rf"${field} \times {field}$ patch of the input."
        )
        part.answer("vgg16.receptive_field", field, label="r")


def _part_parameters(sol: Solution, rows: list[LayerRow]) -> None:
    with sol.part("b", "Parameters") as part:
        part.text(
            r"A convolution with $C_{\mathrm{out}}$ filters of size $k \times k \times C_{\mathrm{in}}$ and one bias "
            r"each has $(k^2 C_{\mathrm{in}} + 1) C_{\mathrm{out}}$ parameters; a fully connected layer has "
            r"$(n_{\mathrm{in}} + 1) n_{\mathrm{out}}$; max-pooling has none."
        )
        table = [[r.name, _shape_tex(r.shape_in), _shape_tex(r.shape_out), Tex(r.formula), sp.Integer(r.params)]
                 for r in rows]
        part.table(["layer", "input", "output", "parameters", "count"], table,
                   caption="Parameters per layer (weights and biases).")
        totals = {}
        for kind, answer_id, title in (("conv", "vgg16.params_conv", "Convolutional layers"),
                                       ("fc", "vgg16.params_fc", "Fully connected layers")):
            counts = unevaluated_sum([sp.Integer(r.params) for r in rows if r.kind == kind])
            part.define(P[kind], counts)
            d = part.derivation(P[kind], title=title)
            d.step(counts, "sum over the layers of the table")
            totals[kind] = sp.Integer(sum(r.params for r in rows if r.kind == kind))
            d.step(totals[kind], "integer arithmetic")
            part.answer(answer_id, totals[kind], label=to_latex(P[kind]))
        part.define(P_TOTAL, P["conv"] + P["fc"])
        total = part.derivation(P_TOTAL, title="Total")
        total.step(P["conv"] + P["fc"], "convolutional plus fully connected")
        total.step(sp.Add(totals["conv"], totals["fc"], evaluate=False), "the sums above")
        total.step(totals["conv"] + totals["fc"], "integer arithmetic")
        part.answer("vgg16.params_total", totals["conv"] + totals["fc"], label=to_latex(P_TOTAL))
        ratio = part.derivation(sp.Mul(P["conv"], sp.Pow(P["fc"], -1, evaluate=False), evaluate=False),
                                title="Ratio")
        ratio.step(sp.Mul(totals["conv"], sp.Pow(totals["fc"], -1, evaluate=False), evaluate=False),
                   "convolutional over fully connected parameters")
        value = sp.Rational(totals["conv"], totals["fc"])
        ratio.step(value, "in lowest terms")
        part.text(
            "The fully connected layers hold most of the parameters, the convolutions most of the computation."
            if value < 1 else "The convolutional layers hold most of the parameters."
        )
        part.answer("vgg16.conv_fc_ratio", value, label=r"\frac{P_{\mathrm{conv}}}{P_{\mathrm{fc}}}")


def solve(sol: Solution) -> None:
    """Parts (a)-(b) of A3 for the layer list and input of the parameters."""
    rows = layer_table(sol["layers"], int(sol["input_size"]), int(sol["input_channels"]),
                       input_channels=sol.choice("input_channels", True), conv_bias=sol.choice("conv_bias", True),
                       fc_bias=sol.choice("fc_bias", True), flatten=sol.choice("flatten", True))
    _statement(sol, rows)
    _part_receptive_field(sol, rows)
    _part_parameters(sol, rows)


# --------------------------------------------------------------------------- checking

#: Words that name one layer ("conv1_1", "fc6", "layer 3"), not a total.
_ONE_LAYER = (r"\b(?:conv|fc|pool|layer|block)\s*_?\d",)

def _without_biases(params: Mapping[str, Any]) -> tuple[tuple[str, dict], ...]:
    return (("", {"conv_bias": False, "fc_bias": False}), ("in the convolutions", {"conv_bias": False}),
            ("in the fully connected layers", {"fc_bias": False}))


CHECKING = Checking(
    title_words=r"vgg|receptive field|field of view|\bfov\b",
    aliases=(
        Alias("vgg16.conv_fc_ratio", names=(r".*conv.*/.*(?:fc|fully|dense).*", r"ratio.*"),
              words=(r"ratio", r"conv.*(?:/|over|\bto\b|divided).*(?:fc|fully|dense)", r"%"), parts=("b",),
              kind="numeric"),
        Alias("vgg16.params_total", names=(r"(?:P|N|n|\#)_?\(?total\)?",),
              words=(r"total", r"overall", r"\ball\b", r"whole", r"in sum"), parts=("b",), kind="numeric",
              words_not=(r"\b(?:conv\w*|fc|fully[- ]connected|dense)\s+total\b", r"\btotal\s+(?:of\s+)?(?:the\s+)?(?:conv|fc)\b")),
        Alias("vgg16.params_fc", names=(r"(?:P|N|n|\#)_?\(?(?:fc|FC|dense)\)?",),
              words=(r"fully", r"\bfc\b", r"dense", r"linear"), parts=("b",), kind="numeric",
              words_not=_ONE_LAYER),
        Alias("vgg16.params_conv", names=(r"(?:P|N|n|\#)_?\(?(?:conv|CONV)\)?",),
              words=(r"conv",), parts=("b",), kind="numeric", words_not=_ONE_LAYER),
        Alias("vgg16.receptive_field", names=(r"r", r"r_?(?:out|final|[1-9]\d*|L|pool5|5)", r"RF", r"FOV", r"receptivefield"),
              words=(r"receptive", r"\bfov\b", r"field of view", r"\brf\b"), parts=("a",), kind="numeric",
              transform="square_size"),
    ),
    mistakes=(
        Mistake("conv_without_input_channels", "convolution parameters without the input channels",
                choices={"input_channels": False}),
        Mistake("without_biases", "parameters without the biases", variants=_without_biases),
        Mistake("flatten_channels_only", "first fully connected layer fed the channels only, not H x W x C",
                choices={"flatten": False}),
        Mistake("rf_without_jump", "receptive field without the jump (r = 1 + sum of (k - 1))",
                choices={"receptive_field": "without_jump"}, max_partners=0),
        Mistake("rf_input_size", "receptive field taken as the input size", choices={"receptive_field": "input_size"},
                max_partners=0),
        Mistake("rf_last_conv", "receptive field of the last convolution (the final pooling left out)",
                choices={"receptive_field": "last_convolution"}, max_partners=0),
    ),
)


PROBLEM = Problem(
    id="vgg16",
    title="Receptive field and parameters of VGG16",
    sheet="A",
    parameters=(
        Parameter("input_size", 224, latex="n", description="input height = width, pixels", domain=(32, 512),
                  integer=True, sample=sample_input_size),
        Parameter("input_channels", 3, latex="C", description="input channels (3 for RGB)", domain=(1, 4),
                  integer=True, sample=sample_input_channels),
        Parameter("layers", VGG16_LAYERS, latex=r"\text{layers}",
                  description='layer list: ["conv", k, s, p, C_out], ["pool", k, s, p], ["fc", n_out]',
                  kind="list", sample=sample_layers, words=tuple(LAYER_FIELDS)),
    ),
    answer_ids=("vgg16.receptive_field", "vgg16.params_conv", "vgg16.params_fc", "vgg16.params_total",
                "vgg16.conv_fc_ratio"),
    solve_fn=solve,
    well_posed=_scalar_ok,
    checking=CHECKING,
)
