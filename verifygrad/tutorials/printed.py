"""Printed tensors in every form tutorials show them, read back as arrays with the precision printed.

torch (`tensor([[4.5000, 4.5000]], grad_fn=<MeanBackward0>)`), old torch (`Variable containing:` rows
then `[torch.FloatTensor of size 2x2]`, with an optional `1.0e-02 *` scale line), numpy
(`array([[1., 2.]], dtype=float32)` and comma-less `[[1. 2.]]`), JAX (`Array([1., 2.], dtype=float32)`,
`DeviceArray(...)`), TensorFlow (`tf.Tensor([1. 2.], shape=(2,), dtype=float32)`, `<tf.Tensor: shape=(),
dtype=float32, numpy=6.0>`, `<tf.Variable ... numpy=array(...)>`), MXNet (rows then `<NDArray 2x2 @cpu(0)>`),
Paddle (`Tensor(shape=[2], dtype=float32, place=..., stop_gradient=False, [1., 2.])`), MindSpore
(`Tensor(shape=[2], dtype=Float32, value= [1., 2.])`), and plain numbers. A log line (`[22:07:05] file.h:155:
...`) is not a value: a bracket holding anything but numbers is not read as one.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, replace

import numpy as np

from verifygrad.cases.written import WrittenFloat

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)"
_TOKEN = re.compile(rf"\[|\]|\.\.\.|{_NUMBER}|,")
_OLD_SIZE = re.compile(r"^\s*\[torch\.(?:cuda\.)?(\w+)Tensor of size ([\dx]+)[^\]]*\]\s*$")
_CALL = re.compile(r"\b(tensor|array|Array|DeviceArray|Tensor|Parameter containing:\s*tensor|float64|float32|float16)\(")  # np.float64(0.5): numpy 2
# A scalar autodiff class's repr (micrograd's `Value(data=-8.0)`, `Value (data = 11.0, grad = 0)`): its number is the value.
_SCALAR_REPR = re.compile(rf"\b[A-Z]\w*\s?\(\s*data\s*=\s*({_NUMBER})\s*(?:,\s*grad\s*=\s*(?:{_NUMBER})\s*)?\)")
_TF_SCALAR = re.compile(rf"<tf\.(?:Tensor|Variable)\b[^<>]*?numpy=({_NUMBER})>")
# Reprs that print each element in its own shortest form (numpy's `maxprec`), not all with the same decimals as torch
_SHORTEST = {"array", "Array", "DeviceArray", "Tensor", "list", "float64", "float32", "float16"}
# A label written before one number on its line (`dy/dx = 6.0`, `grad: 0.25`): letters first, no brackets (log lines)
_LABELLED = re.compile(rf"^\s*[A-Za-z_∂](?:[^=:\[\]()<>]|\([^=:\[\]()<>]{{0,20}}\)){{0,60}}?\s*[=:]\s*({_NUMBER})\s*$")  # `f'(1): 9.38`
_LIST_START = re.compile(r"^\s*\[\s*[\[\d\-+.]")
_TUPLE = re.compile(rf"^\s*\(((?:\s*(?:{_NUMBER})\s*,)+\s*(?:{_NUMBER})?\s*)\)\s*$")  # (24.0, 10.0), (0.5,)


@dataclass(frozen=True)
class Printed:
    """One printed value: its numbers, the decimals shown (None: exact), and where in the output it starts."""

    values: np.ndarray
    decimals: int | None
    line_offset: int  # 0-based line of the output text where it starts
    text: str
    summarised: bool = False  # `...` stands for elements not shown
    device: str | None = None  # "cuda" where the repr says so
    written: object = None  # the numbers as printed: WrittenFloats (nested lists), so a claim keeps its decimals
    none: bool = False  # `None` printed as an item of a list or tuple of values (`[<tf.Tensor ...>, None]`): no value

    def describe(self) -> str:
        if self.none:
            return "None"
        flat = np.ravel(self.values)
        shown = ", ".join(f"{v:g}" for v in flat[:6]) + (", ..." if flat.size > 6 else "")
        return f"[{shown}]" if self.values.ndim else shown


def read_printed(text: str) -> list[Printed]:
    """Every value printed in an output text, in order."""
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    closing = _closing_brackets(text)
    found: list[Printed] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        begin = starts[index] + len(line) - len(line.lstrip())
        items = _with_none(text, begin, closing.get(begin), index) if line.lstrip()[:1] in ("[", "(") else None
        if items is not None:  # `[<tf.Tensor: ..., numpy=8.0>, None]`: each item in its place, None too
            found += items
            index = bisect_right(starts, closing[begin])
            continue
        scalars = list(_TF_SCALAR.finditer(line))
        if scalars:  # `<tf.Tensor: shape=(), ..., numpy=6.0>`, maybe beside other values on the line, each read in order
            items = [(match.start(), _tf_scalar(match, index)) for match in scalars]
            for match in _CALL.finditer(line):
                begin = starts[index] + match.end() - 1
                end = closing.get(begin)
                if any(s.start() <= match.start() < s.end() for s in scalars) or end is None or end >= starts[index] + len(line):
                    continue
                items.append((match.start(), _from_call(text[begin + 1 : end], index, text[starts[index] + match.start() : end + 1], match.group(1))))
            found += [item for _, item in sorted(items, key=lambda pair: pair[0]) if item is not None]
            index += 1
            continue
        reprs = list(_SCALAR_REPR.finditer(line))
        if reprs and not _CALL.search(line):
            found += [Printed(np.array(float(m.group(1))), None, index, m.group(0), written=WrittenFloat(float(m.group(1)), m.group(1))) for m in reprs]
            index += 1
            continue
        call = _CALL.search(line)
        if call:
            position, last = starts[index] + call.start(), None
            while True:  # NOTE: print(a, b) shows two reprs on one line: each is a value
                row = bisect_right(starts, position) - 1
                match = _CALL.search(text, position, starts[row + 1] - 1 if row + 1 < len(starts) else len(text))
                end = closing.get(match.end() - 1) if match else None
                if match is None or end is None:
                    break
                item = _from_call(text[match.end() : end], row, text[match.start() : end + 1], match.group(1))
                if item is not None:
                    found.append(item)
                position, last = end + 1, end
            index = bisect_right(starts, last) if last is not None else index + 1
            continue
        if _LIST_START.match(line) and not _OLD_SIZE.match(line):
            begin = starts[index] + line.index("[")
            end = closing.get(begin)
            if end is not None:
                item = _from_data(text[begin : end + 1], index, text[begin : end + 1], shortest=True)
                if item is not None:
                    found.append(item)
                index = bisect_right(starts, end)
                continue
        several = _several_labelled(line)
        if several:  # `Iteration 1: x =  2.4000, f(x) =  5.7600`, `Epoch: 1, Loss = 0.23, w = 1.9`: each labelled number a value
            # NOTE: a trace's fields are formatted (`{loss:.4f}`, `{:.6f}`): each number is held to the decimals it shows,
            # never as exact (`0.0967` for 0.0967459 is not a wrong value); a short exact repr is only held more loosely
            found += [Printed(np.array(float(number)), _decimals([number], shortest=True), index, number,
                              written=WrittenFloat(float(number), number, True)) for number in several]  # fmt: skip
            index += 1
            continue
        labelled = _LABELLED.match(line)
        if labelled:  # print("dy/dx =", g.item()), print(f"loss: {l}"): the label, then one number
            number = labelled.group(1)
            found.append(Printed(np.array(float(number)), None, index, number, written=WrittenFloat(float(number), number)))
            index += 1
            continue
        numbers = _TUPLE.match(line)
        if numbers and re.search(r"[.eEn]", numbers.group(1)):  # `df(3., 4.)` shows `(24.0, 10.0)`: each number a value
            # NOTE: a tuple of whole numbers is how numpy prints a shape, which shows no value: not read
            found += _python_numbers([" ".join(re.findall(_NUMBER, numbers.group(1)))], index)
            index += 1
            continue
        if number_row(line) or _scale(line) is not None:
            end = index
            while end < len(lines) and (number_row(lines[end]) or _scale(lines[end]) is not None):
                end += 1
            size = _OLD_SIZE.match(lines[end]) if end < len(lines) else None
            if size is None and all(_scale(row) is None for row in lines[index:end]):
                found += _python_numbers(lines[index:end], index)  # print(a), print(a, b): Python numbers, no footer
            else:
                item = _old_style(lines[index:end], size, index)
                if item is not None:
                    found.append(item)
            index = end + (1 if size else 0)
            continue
        labelled = _labelled(line, index, starts, closing, text)
        if labelled is not None:  # `W_grad [-0.17 -0.88]`, `dW1 = [[...]]`, `b_grad: -0.29`: one value after a label
            item, index = labelled
            found.append(item)
            continue
        index += 1
    return found


_OPENING, _CLOSING = "([{<", ")]}>"


def _with_none(text: str, begin: int, end: int | None, line: int) -> list[Printed] | None:
    """A list or tuple printed whole whose items are values and `None`s, each read in its place: the gradients of several
    sources where some have none (`tape.gradient(y, [x1, x2])`: `[<tf.Tensor ...>, None]`); None for any other text."""
    if end is None or text[end + 1 : text.find("\n", end) if "\n" in text[end:] else len(text)].strip():
        return None
    inner = text[begin + 1 : end]
    if "None" not in inner:
        return None
    pieces, depth, start = [], 0, 0
    for position, char in enumerate(inner):
        depth += (char in _OPENING) - (char in _CLOSING)
        if depth < 0:
            return None
        if char == "," and depth == 0:
            pieces.append((start, inner[start:position]))
            start = position + 1
    pieces.append((start, inner[start:]))
    if len(pieces) > 1 and not pieces[-1][1].strip():
        pieces.pop()  # `(None,)`: a one-item tuple's comma
    found: list[Printed] = []
    for at, piece in pieces:
        offset = line + text.count("\n", begin, begin + 1 + at + len(piece) - len(piece.lstrip()))
        if piece.strip() == "None":
            found.append(Printed(np.array(np.nan), None, offset, "None", none=True))
            continue
        values = whole_values(piece.strip(), 1) if "None" not in piece else None  # NOTE: never nested: one level is read
        if values is None:
            return None
        found.append(replace(values[0], line_offset=offset + values[0].line_offset))
    return found


_LABEL = re.compile(r"^\s*[A-Za-z_](?:[\w'.\- ]|\([\w'.\-, ]{0,20}\))*?(\s*[:=])?\s+(?=[\[\-+\d.])")  # `auto f'(1): [4. 3.]`


def _labelled(line: str, index: int, starts: list[int], closing: dict[int, int], text: str) -> tuple[Printed, int] | None:
    """One value printed after a label, and the line after it: a bracketed array ending its line, or one number after
    `:` or `=`, or a float ending the line after a label (`print('b_grad', g)`). NOTE: a whole number after a label without
    `:` or `=` is not read (`Epoch 3`), nor a number with words after it (`print("Using 3 layers")` prints no value)."""
    label = _LABEL.match(line)
    if label is None:
        return None
    rest = line[label.end() :]
    if rest.startswith("["):
        begin = starts[index] + label.end()
        end = closing.get(begin)
        row = bisect_right(starts, end) - 1 if end is not None else index
        if end is None or text[end + 1 : starts[row + 1] - 1 if row + 1 < len(starts) else len(text)].strip():
            return None
        item = _from_data(text[begin : end + 1], index, text[begin : end + 1], shortest=True)
        return (item, row + 1) if item is not None else None
    if len(rest.split()) == 1 and number_row(rest) and (label.group(1) or re.search(r"[.eE]", rest)):
        return _python_numbers([rest.strip()], index)[0], index + 1  # NOTE: without `:` or `=`, only a float (`b_grad -0.29`, not `Epoch 3`)
    return None


_SEPARATOR = re.compile(r",\s+|\s*[|;]\s*|\t+|\s+and\s+")
_LABELLED_END = re.compile(rf"(?:[=:]|\s)\s*({_NUMBER})\s*$")  # `w = 1.1000`, `loss: 0.25`, `yours returns 0.0418`


def _several_labelled(line: str) -> list[str] | None:
    """The numbers of a line of several labelled values (`Iteration 1: x =  2.4000, f(x) =  5.7600`), in order; None where
    the line is not one. A whole number (`Epoch: 1`) is a counter, which the code prints as no value it reads (no claim)."""
    segments = [segment for segment in _SEPARATOR.split(line) if segment.strip()]
    if len(segments) < 2:
        return None
    numbers = []
    for segment in segments:
        end = _LABELLED_END.search(segment)
        if end is None or not re.search(r"[A-Za-z]", segment[: end.start()]):
            return None
        numbers.append(end.group(1))
    values = [number for number in numbers if re.search(r"[.eEn]", number)]  # NOTE: nan and inf are values too
    return values if len(values) >= 1 and len(numbers) >= 2 else None


def _closing_brackets(text: str) -> dict[int, int]:
    """Where each `(` and `[` of the text closes, counting only its own kind; one pass (unclosed ones are absent)."""
    closing: dict[int, int] = {}
    open_at: dict[str, list[int]] = {"(": [], "[": []}
    for position, char in enumerate(text):
        if char in "([":
            open_at[char].append(position)
        elif char in ")]":
            stack = open_at["(" if char == ")" else "["]
            if stack:
                closing[stack.pop()] = position
    return closing


def _number_end(text: str, start: int) -> int:
    """The end of the longest printed number at `start` (`start` itself where none): `-1.5e-3`, `2.`, `.5`, `nan`, `-inf`.

    NOTE: written by hand, not as a regex: `\\d+\\.?\\d*` repeated over a row of digits backtracks exponentially."""
    position = start + (start < len(text) and text[start] in "+-")
    for word in ("nan", "inf"):
        if text.startswith(word, position):
            return position + 3
    digits = position
    while position < len(text) and text[position].isdecimal():
        position += 1
    whole = position > digits
    if position < len(text) and text[position] == ".":
        fraction = position + 1
        while fraction < len(text) and text[fraction].isdecimal():
            fraction += 1
        if not whole and fraction == position + 1:
            return start  # a lone point
        position = fraction
    elif not whole:
        return start
    if position < len(text) and text[position] in "eE":
        exponent = position + 1 + (position + 1 < len(text) and text[position + 1] in "+-")
        digits = exponent
        while exponent < len(text) and text[exponent].isdecimal():
            exponent += 1
        if exponent > digits:
            position = exponent
    return position


def _skip_spaces(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


def number_row(line: str) -> bool:
    """A line of numbers separated by spaces (old torch's rows)."""
    pieces = line.split()
    return bool(pieces) and all(_number_end(piece, 0) == len(piece) for piece in pieces)


def _scale(line: str) -> str | None:
    """The number of old torch's scale line (`1.0e-02 *`), None for any other line."""
    start = _skip_spaces(line, 0)
    end = _number_end(line, start)
    after = _skip_spaces(line, end)
    if end == start or line[after : after + 1] != "*" or _skip_spaces(line, after + 1) != len(line):
        return None
    return line[start:end]


def _tf_scalar(match: re.Match, line: int) -> Printed:
    number = match.group(1)
    return Printed(np.array(float(number)), _decimals([number], shortest=True), line, match.group(0), written=WrittenFloat(float(number), number))


def _from_call(inside: str, line: int, whole: str, kind: str) -> Printed | None:
    """`tensor(DATA, requires_grad=True)`, `array(DATA, dtype=float32)`, `tf.Tensor(DATA, shape=...)`: DATA is the first
    argument; Paddle's `Tensor(shape=..., stop_gradient=..., DATA)` puts it last, MindSpore's `value= DATA`."""
    arguments = _arguments(inside)
    data = arguments[0] if arguments else ""
    if kind == "Tensor" and data.strip().startswith("shape="):
        valued = [argument for argument in arguments if argument.strip().startswith("value=")]
        data = valued[0].strip()[len("value=") :] if valued else arguments[-1]
        if "=" in data:
            return None
    item = _from_data(data, line, whole, shortest=kind in _SHORTEST)
    if item is not None and re.search(r"device='cuda|place=Place\(gpu", inside):
        return Printed(item.values, item.decimals, line, whole, item.summarised, "cuda", item.written)
    return item


def _arguments(inside: str) -> list[str]:
    """A call's arguments, split at the commas outside brackets."""
    parts, depth, start = [], 0, 0
    for position, char in enumerate(inside):
        depth += char in "[("
        depth -= char in "])"
        if char == "," and depth == 0:
            parts.append(inside[start:position])
            start = position + 1
    parts.append(inside[start:])
    return [part for part in parts if part.strip()]


def _from_data(data: str, line: int, whole: str, shortest: bool = True) -> Printed | None:
    if _TOKEN.sub("", data).strip():  # `[22:07:05]`, `[1/10]`: brackets holding more than numbers
        return None
    tokens = _TOKEN.findall(data)
    if not tokens or any(t not in "[],..." and not re.fullmatch(_NUMBER, t) for t in tokens):
        return None
    summarised = "..." in tokens
    numbers = [t for t in tokens if t not in "[],..."]
    decimals = _decimals(numbers, shortest)
    rounded = not shortest and decimals is not None  # torch's fixed decimals: every number rounded to them
    position = 0

    def parse() -> object:
        nonlocal position
        token = tokens[position]
        position += 1
        if token == "[":
            items = []
            while position < len(tokens) and tokens[position] != "]":
                if tokens[position] in (",", "..."):
                    position += 1
                    continue
                items.append(parse())
            position += 1
            return items
        return WrittenFloat(float(token), token, rounded)

    try:
        nested = parse()
        values = np.array(nested, dtype=np.float64)
    except (ValueError, IndexError, RecursionError):
        return None
    if values.dtype == object:
        return None
    return Printed(values, decimals, line, whole, summarised, written=nested)


def _python_numbers(rows: list[str], line: int) -> list[Printed]:
    """Rows of numbers without a tensor's footer: each number a value printed as Python prints it (exactly)."""
    return [Printed(np.array(float(number)), None, line + offset, number, written=WrittenFloat(float(number), number))
            for offset, row in enumerate(rows) for number in row.split()]  # fmt: skip


def _old_style(rows: list[str], size: re.Match | None, line: int) -> Printed | None:
    """Old torch rows of numbers, with a scale line and a `[torch.FloatTensor of size AxB]` footer."""
    scale = 1.0
    scale_decimals = 0
    numbers: list[str] = []
    for row in rows:
        scaled = _scale(row)
        if scaled is not None:
            scale = float(scaled)
            scale_decimals = max(0, -int(np.floor(np.log10(abs(scale))))) if scale else 0
            continue
        numbers.extend(row.split())
    if not numbers:
        return None
    values = np.array([float(n) for n in numbers]) * scale
    if size is None:
        return None  # a scale line without a footer: not known to be a tensor
    dims = tuple(int(d) for d in size.group(2).split("x"))
    if int(np.prod(dims)) != values.size:
        return None
    decimals = _decimals(numbers)
    if decimals is not None:
        decimals += scale_decimals
    shaped = values.reshape(()) if dims == (1,) else values.reshape(dims)  # old torch's "scalars" had size 1
    texts = numbers if scale == 1.0 else [f"{v:.{decimals}f}" if decimals is not None else repr(float(v)) for v in values]
    written = np.array([WrittenFloat(v, t) for v, t in zip(values, texts)], dtype=object).reshape(shaped.shape).tolist()
    return Printed(shaped, decimals, line, "\n".join(rows + [size.group(0)]), written=written)


def _decimals(numbers: list[str], shortest: bool = False) -> int | None:
    """How precisely the numbers were printed: decimals after the point; None where all are shown exactly.

    ``shortest``: each element printed in its own shortest form (numpy, JAX, TF), so the most decimals shown hold
    for all; otherwise (torch) every element has the same decimals and the coarsest sets them."""
    most: int | None = None
    for number in numbers:
        mantissa, _, exponent = number.lower().partition("e")
        if "nan" in mantissa or "inf" in mantissa:
            continue
        digits = len(mantissa.split(".")[1]) if "." in mantissa else 0
        digits -= int(exponent) if exponent else 0
        if digits > 0 and mantissa.split(".")[-1].strip("0") != "" or (exponent and digits > 0):
            most = digits if most is None else max(most, digits)
    return most if shortest else _least_precise(numbers, most)


def _least_precise(numbers: list[str], most: int | None) -> int | None:
    """Torch prints every element with the same decimals: the coarsest element sets the claim's precision."""
    if most is None:
        return None
    places = []
    for number in numbers:
        mantissa, _, exponent = number.lower().partition("e")
        if "." in mantissa:
            places.append(len(mantissa.split(".")[1]) - (int(exponent) if exponent else 0))
    return min(places) if places else most


def logical_lines(text: str) -> list[tuple[int, int, str]]:
    """The output's lines, a line whose brackets close on a later line joined with those: (first line, last line, text)."""
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    closing = _closing_brackets(text)
    joined, index = [], 0
    while index < len(lines):
        last, row = index, index
        while row <= last:
            for position in range(starts[row], starts[row] + len(lines[row])):
                if position in closing:
                    last = max(last, bisect_right(starts, closing[position]) - 1)
            row += 1
        joined.append((index, last, "\n".join(lines[index : last + 1])))
        index = last + 1
    return joined


_AROUND_VALUES = re.compile(r"(?:[\s(),]|\b(?:tf|np|numpy|jnp)\.)*")  # `(Array(1.), Array(2.))`, `tf.Tensor(...)`


def whole_values(text: str, count: int) -> list[Printed] | None:
    """The ``count`` values a field printed, where its text is those values and nothing else (a tuple's brackets and
    commas aside); None where it is anything else: a field is never tied to a value read out of other text."""
    values = read_printed(text)
    if len(values) != count:
        return None
    rest = text
    for value in values:
        at = rest.find(value.text)
        if at < 0:
            return None
        rest = rest[:at] + " " + rest[at + len(value.text) :]
    return values if _AROUND_VALUES.fullmatch(rest) else None
