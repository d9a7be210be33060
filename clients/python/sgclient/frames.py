"""Reply messages to tidy pandas DataFrames: one row per observation, every grid axis its own
column (named by the axis, e.g. ``depth``), the sweep's name in ``sweep``.

Columns come from the messages' descriptors, so a field added to the wire API appears as a column
without a change here. An optional field that is absent is a missing value (NaN, or <NA> in a
nullable integer column); an enum is its lower-case name (``succeeded``).
"""

import json
import math

import numpy as np
import pandas as pd

from google.protobuf.descriptor import FieldDescriptor

from sgclient._proto.sg.v1 import sg_pb2

_INT_TYPES = {
    FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_UINT32,
    FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_SINT32, FieldDescriptor.TYPE_SINT64,
}


def state_name(value):
    """A RunState number as sgctl prints it: RUN_STATE_SUCCEEDED -> "succeeded"."""
    return sg_pb2.RunState.Name(value).replace("RUN_STATE_", "").lower()


def state_value(name):
    """The RunState number of "succeeded", "queued", ...; ValueError naming the choices."""
    full = "RUN_STATE_" + str(name).upper()
    if full not in sg_pb2.RunState.keys() or full == "RUN_STATE_UNSPECIFIED":
        choices = ", ".join(state_name(v) for v in sg_pb2.RunState.values() if v != 0)
        raise ValueError(f"state: unknown state '{name}' (one of {choices})")
    return sg_pb2.RunState.Value(full)


def _is_optional(field):
    # proto3 `optional` fields sit in a synthetic oneof of their own.
    return field.containing_oneof is not None


def scalar_fields(message, skip=()):
    """{field name: value} for the message's scalar and repeated-scalar fields, in field order.

    Absent optional fields are None; enums their lower-case names; repeated scalars lists.
    Message fields are left to the caller.
    """
    out = {}
    for field in message.DESCRIPTOR.fields:
        if field.name in skip or field.message_type is not None:
            continue
        if field.label == field.LABEL_REPEATED:
            out[field.name] = list(getattr(message, field.name))
        elif _is_optional(field) and not message.HasField(field.name):
            out[field.name] = None
        elif field.enum_type is not None:
            value = getattr(message, field.name)
            out[field.name] = field.enum_type.values_by_number[value].name.lower()
        else:
            out[field.name] = getattr(message, field.name)
    if "state" in out and isinstance(message, sg_pb2.Run):
        out["state"] = state_name(message.state)
    return out


def optional_int_columns(descriptor):
    """The message's optional integer fields: their columns become nullable Int64."""
    return [f.name for f in descriptor.fields
            if _is_optional(f) and f.type in _INT_TYPES]


def optional_float_columns(descriptor):
    """The message's optional floating-point fields: absent values become NaN."""
    return [f.name for f in descriptor.fields
            if _is_optional(f) and f.type in (FieldDescriptor.TYPE_DOUBLE,
                                               FieldDescriptor.TYPE_FLOAT)]


# The group-by key that keeps sweeps apart; in a group it holds the sweep's id, which the
# frames replace by the sweep's name in their `sweep` column.
SWEEP_KEY = "sweep"


def axes_dict(axis_values):
    """[AxisValue] -> {axis: value}, in the spec's axis order, without the "sweep" key."""
    return {a.axis: a.value for a in axis_values if a.axis != SWEEP_KEY}


def flatten_config(resolved_config_json):
    """The run's resolved config as {"task": ..., "train.lr": ..., "data.seed": ...}."""
    if not resolved_config_json:
        return {}
    out = {}

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else key, inner)
        else:
            out[prefix] = value

    walk("", json.loads(resolved_config_json))
    return out


def tidy_axis(column):
    """Axis values travel as doubles; integral ones (depth, seeds...) become integers."""
    values = column.dropna()
    if column.dtype == object or values.empty:
        return column
    if all(float(v).is_integer() for v in values):
        return column.astype("int64") if len(values) == len(column) else column.astype("Int64")
    return column


def frame(rows, columns, axes=(), int_columns=(), nullable_int_columns=(), float_columns=()):
    """A DataFrame of `rows` (dicts) with `columns` in that order (missing keys are missing
    values), axis columns made integral where they are, and numeric columns typed."""
    df = pd.DataFrame.from_records(rows, columns=list(columns))
    for axis in axes:
        if axis in df.columns:
            df[axis] = tidy_axis(df[axis])
    for name in int_columns:
        if name in df.columns and not df[name].isna().any():
            df[name] = df[name].astype("int64")
    for name in nullable_int_columns:
        if name in df.columns:
            df[name] = df[name].astype("Int64")
    for name in float_columns:
        if name in df.columns:
            df[name] = df[name].astype("float64")
    return df


def ordered_union(lists):
    """Names in first-seen order across lists (the axes of several sweeps)."""
    seen = {}
    for names in lists:
        for name in names:
            seen.setdefault(name, None)
    return list(seen)


def long_points(keys, steps, values):
    """Columns for a block of points that share `keys` (a dict of column -> value)."""
    n = len(steps)
    block = {k: [v] * n for k, v in keys.items()}
    block["step"] = steps
    block["value"] = values
    return block


def concat_columns(blocks, columns, axes=(), int_columns=()):
    """Joins column blocks (dicts of lists, e.g. from long_points) into one DataFrame with
    `columns`; a column a block lacks is missing there (an axis of another sweep)."""
    data = {c: [] for c in columns}
    for block in blocks:
        n = len(block["step"])
        for c in columns:
            data[c].extend(block.get(c, [math.nan] * n))
    df = pd.DataFrame(data, columns=columns)
    for name in int_columns:
        df[name] = df[name].astype("int64")
    if "value" in df.columns:
        df["value"] = np.asarray(df["value"], dtype="float64")
    for axis in axes:
        df[axis] = tidy_axis(df[axis])
    return df
