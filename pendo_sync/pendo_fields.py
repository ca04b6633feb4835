"""The mapped fields of metadata models against Pendo's schema, read once per kind through the client:
every problem found before the first row is sent (field_plan.py decides; this module reads).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pendo_sync.config import MetadataSpec, ParsedConfig
from pendo_sync.errors import ConfigError, PendoAuthError, PendoError, Problem
from pendo_sync.field_plan import FieldPlan, plan_fields
from pendo_sync.pendo.client import PendoClient
from pendo_sync.settings import settings_from_env

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from pendo_sync.pendo.schema import KindSchema
    from pendo_sync.project import SyncOptions


def check_pendo_schema(options: SyncOptions, parsed: ParsedConfig) -> list[str]:
    """`validate` with a key: mapped fields against Pendo's schema (read only); warnings, or one
    ConfigError with these problems and those of meta.pendo."""
    metadata = [s for s in parsed.specs if isinstance(s, MetadataSpec)]
    return read_field_plan(options, metadata, {}, parsed.problems).warnings


def read_field_plan(
    options: SyncOptions,
    metadata: Sequence[MetadataSpec],
    column_types: Mapping[str, Mapping[str, str]],
    known: Sequence[Problem],
) -> FieldPlan:
    """`resolve_fields` over a client of its own, for commands that only read Pendo (validate, plan)."""
    client = PendoClient(settings_from_env(base_url=options.pendo_url, region=options.region), options.client)
    try:
        return resolve_fields(client, metadata, column_types, known)
    finally:
        client.close()


def resolve_fields(
    client: PendoClient,
    metadata: Sequence[MetadataSpec],
    column_types: Mapping[str, Mapping[str, str]],
    known: Sequence[Problem],
) -> FieldPlan:
    """Mapped fields against Pendo's schema, read once per kind; every problem in one ConfigError,
    with the `known` ones found before (mapping, built relations), so all show in one run.

    A field Pendo lacks is a configuration error here, before any row is sent, rather than rows Pendo
    rejects (or silently keeps untyped) later.
    """
    try:
        schemas = {kind: _read_schema(client, kind) for kind in dict.fromkeys(s.kind for s in metadata)}
    except ConfigError as exc:  # parent accounts not enabled: with the problems found before
        raise ConfigError([*known, *exc.problems]) from None
    except PendoError as exc:
        if known:  # the problems found so far are not lost to a Pendo that cannot be read
            raise ConfigError(
                [*known, f"Pendo's schema could not be read to check mapped fields: {exc}"]
            ) from None
        raise
    plan = plan_fields(metadata, schemas, column_types)
    if known or plan.problems:
        raise ConfigError([*known, *plan.problems])
    return plan


PARENT_ACCOUNTS_OFF = (
    "Pendo gave no parent account schema ({why}): this subscription does not have parent accounts. "
    "They are a subscription feature that Pendo Support turns on; ask them to enable it, or remove "
    "`object: parent_account` models from the selection. Nothing was sent"
)


def _read_schema(client: PendoClient, kind: str) -> KindSchema:
    """A kind's schema; for parent accounts, a refusal means the subscription lacks them (checked
    before anything is sent, so a sync never half-writes a kind Pendo does not have)."""
    if kind != "parentAccount":
        return client.get_schema(kind)
    try:
        schema = client.get_schema(kind)
    except PendoAuthError:
        raise
    except PendoError as exc:
        raise ConfigError([PARENT_ACCOUNTS_OFF.format(why=exc)]) from None
    if not schema.groups:
        raise ConfigError([PARENT_ACCOUNTS_OFF.format(why="it has no groups")])
    return schema
