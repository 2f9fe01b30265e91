"""Who may call what: (method, /api path pattern) -> roles. Pure; the proxy enforces it on every /api request.

Readers (viewer) read everything and may export a published version; annotators also label (annotations, labels,
hard examples), synchronize and add data; only admins create, change or delete datasets, versions, jobs and samples
(with or without their source files), manage users and webhooks (webhooks are admin-only for reads too: an endpoint's
delivery log shows what the platform sends where). A route no rule names is admin-only for writes and open to readers
for reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Role = Literal["admin", "annotator", "viewer"]
ROLES: tuple[Role, ...] = ("admin", "annotator", "viewer")
READERS: frozenset[Role] = frozenset(ROLES)
LABELERS: frozenset[Role] = frozenset({"admin", "annotator"})
ADMINS: frozenset[Role] = frozenset({"admin"})

_SEG = r"[^/]+"


@dataclass(frozen=True)
class Rule:
    methods: frozenset[str]
    pattern: re.Pattern[str]
    roles: frozenset[Role]
    why: str


def rule(methods: str, path: str, roles: frozenset[Role], why: str) -> Rule:
    """`path` relative to /api with `{x}` for one segment and `{x...}` for the rest."""
    regex = re.sub(r"\{\w+\.\.\.\}", ".+", path)
    regex = re.sub(r"\{\w+\}", _SEG, regex)
    return Rule(frozenset(methods.split()), re.compile(f"^{regex}$"), roles, why)


# First match wins.
RULES: tuple[Rule, ...] = (
    # webhooks: where the platform's events go, and their delivery logs
    rule("GET HEAD OPTIONS POST PUT PATCH DELETE", "webhooks", ADMINS, "webhook endpoints"),
    rule("GET HEAD OPTIONS POST PUT PATCH DELETE", "webhooks/{rest...}", ADMINS, "webhook endpoints and deliveries"),
    # reads that use POST
    rule("POST", "datasets/{id}/samples/deletion-preview", READERS, "what a deletion would touch"),
    rule("POST", "media/datasets/{id}/samples/{sid}/frames", READERS, "frames of many time points"),
    # labeling
    rule("PUT", "labeling/datasets/{id}/samples/{sid}/annotation", LABELERS, "save shapes"),
    rule("PUT", "labeling/datasets/{id}/samples/{sid}/annotation/hard-example", LABELERS, "hard example"),
    rule("DELETE", "labeling/datasets/{id}/samples/{sid}/annotation/shapes", LABELERS, "delete shapes"),
    rule("DELETE", "labeling/datasets/{id}/samples/{sid}/annotation/shapes/{shape}", LABELERS, "delete a shape"),
    rule("POST", "labeling/datasets/{id}/labels", LABELERS, "add a label while labeling"),
    rule("PATCH DELETE", "labeling/datasets/{id}/labels/{name}", LABELERS, "edit or delete a label"),
    rule("POST", "labeling/jobs/{id}/synchronize", LABELERS, "synchronize new data"),
    # an export reads a version (its archive is a derived file in the output path)
    rule("POST", "datasets/{id}/versions/{vid}/exports", READERS, "export a version"),
    rule("POST", "datasets/{id}/exports", READERS, "export the current data (a labeling job's view)"),
    # data in
    rule("POST", "sync/datasets/{id}/runs", LABELERS, "synchronize the data source"),
    rule("POST", "sync/datasets/{id}/imports", LABELERS, "add data"),
    rule("PUT", "sync/datasets/{id}/uploads/{name...}", LABELERS, "add data by upload"),
    rule("PUT", "sync/datasets/{id}/archives/{name...}", LABELERS, "add an annotated archive by upload"),
    # everything else that writes is the admins': datasets, versions, jobs, sample (and source) deletion, users
    rule("POST PUT PATCH DELETE", "{anything...}", ADMINS, "administration"),
)


def allowed_roles(method: str, path: str) -> frozenset[Role]:
    """The roles that may call `method` on /api/`path`."""
    method = method.upper()
    for r in RULES:
        if method in r.methods and r.pattern.match(path):
            return r.roles
    return READERS if method in ("GET", "HEAD", "OPTIONS") else ADMINS


def is_allowed(role: str, method: str, path: str) -> bool:
    return role in allowed_roles(method, path.strip("/"))
