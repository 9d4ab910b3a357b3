"""Golden-set cases: finding them, reading them, and the Run Contract each one implies."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from core.contract import parse_contract
from core.errors import ContractError
from evals.golden_cases import GOLDEN, case_contract, find_cases, load_case

CASES = [
    "ap_bills_netsuite",
    "bank_chase_checking",
    "card_amex_activity",
    "crm_contacts_salesforce",
    "gen_bank_debit_credit",
    "gen_clients_fr",
    "gen_envios_es",
    "gen_hr_roster",
    "gen_vendor_master",
    "gl_lines_quickbooks",
    "gl_sap_buchungen_de",
    "rent_roll_yardi",
    "shipments_api_camel",
    "stripe_payouts_api",
    "vendors_db_dump",
]


def test_find_cases_finds_the_golden_cases() -> None:
    found = find_cases(GOLDEN)
    assert [p.name for p in found] == CASES  # sorted
    assert all((p / "case.yaml").is_file() for p in found)
    assert not any("pii" in p.relative_to(GOLDEN).parts for p in found)


def test_find_cases_on_a_case_folder_is_that_case() -> None:
    folder = GOLDEN / "bank_chase_checking"
    assert find_cases(folder) == [folder]


def test_find_cases_on_a_folder_without_cases_is_empty(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "expected.yaml").write_text("mappings: {}\n")
    assert find_cases(tmp_path) == []


@pytest.mark.parametrize("name", CASES)
def test_load_case_reads_each_case(name: str) -> None:
    folder = GOLDEN / name
    declared = yaml.safe_load((folder / "case.yaml").read_text(encoding="utf-8"))
    expected = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8"))
    case = load_case(folder)
    assert case.name == name
    assert case.folder == folder
    assert case.mode == declared["mode"]
    assert case.lhs == declared["lhs"]
    assert case.rhs_location == folder / "rhs_schema.yaml"
    assert case.mappings == {k: [str(c) for c in v] for k, v in expected["mappings"].items()}
    assert case.domains == {str(k): str(v) for k, v in (expected.get("domains") or {}).items()}
    # every hand-written case labels its columns' domains; generated ones label mappings only
    assert bool(case.domains) != name.startswith("gen_")
    # every mapping is onto a column of the target schema
    assert set(case.mappings) <= {c.name for c in case.target.columns}


def test_a_case_of_the_golden_set_in_detail() -> None:
    case = load_case(GOLDEN / "bank_chase_checking")
    assert case.mode == "data_mode"
    assert case.lhs == {"type": "file", "location": "lhs.csv"}
    assert case.mappings["amount"] == ["Amount"]
    assert case.mappings["bank_account_id"] == []  # a target column nothing maps onto
    assert case.domains["Posting Date"] == "finance.posting_date"
    assert case.domains["Type"] == "unknown"


@pytest.fixture
def case_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "case"
    shutil.copytree(GOLDEN / "crm_contacts_salesforce", folder)
    return folder


def _edit(path: Path, **changes: object) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")


def test_a_copied_case_loads(case_copy: Path) -> None:
    # the malformed cases below are this one, broken one way each
    assert load_case(case_copy).name == "crm_contacts_salesforce"


def _malformed(folder: Path, *words: str) -> ContractError:
    with pytest.raises(ContractError) as e:
        load_case(folder)
    assert e.value.code == "DETERMINISTIC_FAILURE"
    for word in words:
        assert word in e.value.message
    return e.value


def test_a_case_without_expected_yaml_is_malformed(case_copy: Path) -> None:
    (case_copy / "expected.yaml").unlink()
    assert _malformed(case_copy, "expected.yaml", "missing").field == "expected.yaml"


def test_a_case_with_a_bad_mode_is_malformed(case_copy: Path) -> None:
    _edit(case_copy / "case.yaml", mode="both")
    assert _malformed(case_copy, "mode").field == "mode"


@pytest.mark.parametrize(
    "lhs",
    [{"type": "file"}, {"type": "file", "location": ""}, {"type": "ftp", "location": "x"}, "x"],
)
def test_a_case_with_a_bad_lhs_is_malformed(case_copy: Path, lhs: object) -> None:
    _edit(case_copy / "case.yaml", lhs=lhs)
    assert _malformed(case_copy, "lhs", "location").field == "lhs"


def test_a_case_without_lhs_is_malformed(case_copy: Path) -> None:
    _edit(case_copy / "case.yaml", lhs=None)
    assert _malformed(case_copy, "lhs").field == "lhs"


def test_a_case_yaml_that_is_not_a_mapping_is_malformed(case_copy: Path) -> None:
    (case_copy / "case.yaml").write_text("- a\n- b\n", encoding="utf-8")
    assert _malformed(case_copy, "mapping").field == "case.yaml"


def test_a_case_yaml_that_is_not_yaml_is_malformed(case_copy: Path) -> None:
    (case_copy / "case.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    assert _malformed(case_copy, "case.yaml", "not valid YAML").field == "case.yaml"


def test_expected_yaml_without_mappings_is_malformed(case_copy: Path) -> None:
    _edit(case_copy / "expected.yaml", mappings=None)
    assert _malformed(case_copy, "mappings").field == "expected.yaml"


def test_expected_domains_that_are_not_a_mapping_are_malformed(case_copy: Path) -> None:
    _edit(case_copy / "expected.yaml", domains=["Email"])
    assert _malformed(case_copy, "domains").field == "domains"


def test_a_case_without_its_target_schema_is_malformed(case_copy: Path) -> None:
    (case_copy / "rhs_schema.yaml").unlink()
    assert _malformed(case_copy, "no target schema file").field == "rhs.schema_ref"


def test_a_case_with_a_bad_target_schema_is_malformed(case_copy: Path) -> None:
    (case_copy / "rhs_schema.yaml").write_text("table: t\ncolumns: []\n", encoding="utf-8")
    _malformed(case_copy, "rhs_schema.yaml is invalid")


@pytest.mark.parametrize("name", CASES)
def test_case_contract_parses_with_an_absolute_lhs(name: str) -> None:
    case = load_case(GOLDEN / name)
    contract = parse_contract(case_contract(case))
    assert contract.mode == case.mode
    location = Path(contract.lhs.location)
    assert location.is_absolute()
    assert location == GOLDEN / name / "lhs.csv"
    assert location.is_file()
    assert contract.lhs.source.type == "file"
    assert contract.rhs.schema_ref is not None
    assert Path(contract.rhs.schema_ref) == case.rhs_location
    assert contract.human_confirm_required is False


def test_case_contract_takes_another_mode_and_target() -> None:
    case = load_case(GOLDEN / "bank_chase_checking")
    contract = parse_contract(
        case_contract(case, mode="metadata_only", target_url="sqlite:///tmp/t.db")
    )
    assert contract.mode == "metadata_only"
    assert contract.rhs.location == "sqlite:///tmp/t.db"
    assert parse_contract(case_contract(case)).rhs.location == "sqlite:///:memory:"


def test_case_contract_keeps_an_absolute_lhs(tmp_path: Path, case_copy: Path) -> None:
    elsewhere = tmp_path / "data.csv"
    shutil.copy(case_copy / "lhs.csv", elsewhere)
    _edit(case_copy / "case.yaml", lhs={"type": "file", "location": str(elsewhere)})
    contract = parse_contract(case_contract(load_case(case_copy)))
    assert contract.lhs.location == str(elsewhere)


def test_case_contract_paths_are_absolute_for_a_relative_case_folder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(GOLDEN.parent)
    case = load_case(Path("golden") / "bank_chase_checking")
    contract = parse_contract(case_contract(case))
    assert Path(contract.lhs.location).is_absolute()
    assert contract.rhs.schema_ref is not None
    assert Path(contract.rhs.schema_ref).is_absolute()
