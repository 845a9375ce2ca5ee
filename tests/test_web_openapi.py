"""Schemathesis fuzzes /api/v1 from its OpenAPI document: no 5xx, responses match the schema."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from kb.service.accounts import Accounts
from tests.conftest import make_app, make_config

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def write_key_and_app(samples_data: Path, tmp_path_factory: pytest.TempPathFactory, embedder):
    data = tmp_path_factory.mktemp("fuzz") / "data"
    shutil.copytree(samples_data, data)
    config = make_config(data)
    accounts = Accounts(config.catalogue_path)
    key = accounts.create_key("write", "schemathesis")
    accounts.close()
    return key, make_app(config, embedder, public_read=False, api_rate_limit="100000 per minute")


def test_api_never_fails_and_matches_its_schema(write_key_and_app):
    key, app = write_key_and_app
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {key}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 19

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=10,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            database=None,
        )
        def fuzz(case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        fuzz()
