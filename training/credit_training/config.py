"""What the pipeline trains on and writes: paths, seeds, the scorecard's scaling and bands, the
excluded characteristics and every candidate characteristic with its texts."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
DATA = ROOT / "training" / "data" / "germancredit.csv"
DATA_SHA256 = "2c0bae00275c028fc853a1ea72cc7a68002c3f6876c41300c5c948711540c8c6"
MODEL_PATH = ROOT / "www" / "models" / "german-credit-mlp.onnx"
MODEL_REL = "www/models/german-credit-mlp.onnx"
FIXTURES = ROOT / "tests" / "fixtures"

SEED = 20261129
TRAINED_ON = "2026-11-29"
VERSION = "1.0.0"
MODEL_NAME = "German credit MLP"
PRODUCER = "credit-scorer-training"
OPSET = 17
IR_VERSION = 8
N_SELECTED = 10
N_BOOT = 1000
SMOOTH = 0.5
SCHEMA_KEY = "credit_scorer.schema"
# Rows and the PDs onnxruntime gives them, carried in the model: the browser's small engine (no
# tract) checks its evaluator against them when it loads the model (src/engine/reference.rs).
REFERENCE_KEY = "credit_scorer.reference_scores"
N_REFERENCE_TEST_ROWS = 32

SCALING = {"base_points": 600, "base_odds": 50, "pdo": 20, "min_points": 300, "max_points": 850}
# PD cut-offs (inclusive upper bounds). Chosen on the validation split so that every band holds
# applicants; the test split only reports how they did.
BANDS = [
    {"id": "A", "max_pd": 0.05, "color": "#1b7f3b", "label": {"en": "Very low risk", "zh": "很低风险"}},
    {"id": "B", "max_pd": 0.10, "color": "#5a9e2f", "label": {"en": "Low risk", "zh": "低风险"}},
    {"id": "C", "max_pd": 0.20, "color": "#b88a00", "label": {"en": "Medium risk", "zh": "中等风险"}},
    {"id": "D", "max_pd": 0.35, "color": "#d35400", "label": {"en": "High risk", "zh": "高风险"}},
    {"id": "E", "max_pd": 1.0, "color": "#b3261e", "label": {"en": "Very high risk", "zh": "很高风险"}},
]
APPROVAL_BAND = "C"  # approve when PD <= this band's max_pd (the C/D boundary)

# Recourse (docs/SCHEMA.md, "Recourse"): which characteristics "what would change the outcome" may
# suggest changing, which way, and to which categories (by their training-data value). Anything
# not listed here is never suggested:
# - credit_history: the repayment record is the past; nothing the applicant does now changes it.
# - employment_since: time in the present job only passes; telling someone to have held a job
#   longer is no advice.
# - purpose: the loan is for what the applicant needs; suggesting another purpose invites
#   misstating it.
# - property, housing: buying property or moving home to get a loan is not a reasonable step
#   for a loan decision, and renting vs owning is close to a proxy for wealth.
# Listed:
# - duration_months, credit_amount: the applicant can ask for a shorter term or a smaller loan
#   (down only; amounts suggested in steps of 50 DM).
# - checking_status: bringing an overdrawn account into credit, or to 200 DM and more, is up to
#   the applicant; closing the account ("no checking account") is not suggested.
# - savings: saving more moves up the bands; "unknown / no savings account" is not suggested.
# - other_installment_plans: paying off instalment plans at other banks or stores ("none").
RECOURSE = {
    "duration_months": {"direction": "decrease"},
    "credit_amount": {"direction": "decrease", "recourse_step": 50},
    "checking_status": {
        "direction": "increase",
        "targets": ["0 <= ... < 200 DM", "... >= 200 DM / salary assignments for at least 1 year"],
    },
    "savings": {
        "direction": "increase",
        "targets": ["100 <= ... < 500 DM", "500 <= ... < 1000 DM", "... >= 1000 DM"],
    },
    "other_installment_plans": {"direction": "increase", "targets": ["none"]},
}

TARGET = "creditability"
EXCLUDED = [
    {
        "source_column": "personal_status_and_sex",
        "reason": {
            "en": "Sex and marital status are prohibited bases under ECOA / Regulation B; used only to "
            "evaluate fair lending.",
            "zh": "根据美国《平等信贷机会法》（ECOA）及 B 条例，性别和婚姻状况属于禁止使用的因素；仅用于公平信贷评估。",
        },
    },
    {
        "source_column": "age_in_years",
        "reason": {
            "en": "Age is a prohibited basis under ECOA / Regulation B (outside an empirically derived, "
            "demonstrably sound system); used only to evaluate fair lending.",
            "zh": "根据 ECOA 及 B 条例，年龄属于受限制的禁止性因素；仅用于公平信贷评估。",
        },
    },
    {
        "source_column": "foreign_worker",
        "reason": {
            "en": "Foreign-worker status is a proxy for national origin, a prohibited basis under ECOA / "
            "Regulation B; used only to evaluate fair lending.",
            "zh": "外籍劳工身份是国籍来源的替代变量，而国籍来源属于 ECOA 及 B 条例禁止使用的因素；仅用于公平信贷评估。",
        },
    },
]
EXCLUDED_COLUMNS = {e["source_column"] for e in EXCLUDED}


def L(en, zh):
    return {"en": en, "zh": zh}


# Candidate characteristics: every column except the target and the excluded ones. Categorical
# values are listed in the original UCI attribute order (A11, A12 …); the code is the list index.
# Texts are written for the characteristics the IV selection keeps; the script stops if it keeps one
# without texts.
CHARACTERISTICS = [
    {
        "source_column": "status_of_existing_checking_account",
        "name": "checking_status",
        "kind": "categorical",
        "label": L("Checking account", "支票账户状况"),
        "help": L(
            "Balance of the applicant's existing checking (current) account at this bank",
            "申请人在本行现有支票账户（活期账户）的余额",
        ),
        "reason": L("Checking account status", "支票账户状况"),
        "categories": [
            ("... < 0 DM", L("Overdrawn (below 0 DM)", "透支（低于 0 德国马克）")),
            ("0 <= ... < 200 DM", L("0 to under 200 DM", "0 至 200 德国马克以下")),
            (
                "... >= 200 DM / salary assignments for at least 1 year",
                L("200 DM or more, or salary paid in for at least 1 year", "200 德国马克及以上，或工资代发满 1 年"),
            ),
            ("no checking account", L("No checking account", "无支票账户")),
        ],
    },
    {
        "source_column": "duration_in_month",
        "name": "duration_months",
        "kind": "numeric",
        "round_to": 6,
        "step": 1,
        "unit": L("months", "个月"),
        "label": L("Loan duration", "贷款期限"),
        "help": L("Term of the requested loan in months", "所申请贷款的期限（月）"),
        "reason": L("Loan duration", "贷款期限"),
    },
    {
        "source_column": "credit_history",
        "name": "credit_history",
        "kind": "categorical",
        "label": L("Credit history", "信用记录"),
        "help": L("How the applicant has repaid past and existing credits", "申请人以往及现有贷款的还款情况"),
        "reason": L("Credit history", "信用记录"),
        "categories": [
            (
                "no credits taken/ all credits paid back duly",
                L("No credits taken, or all paid back duly", "无借贷记录，或全部按时还清"),
            ),
            ("all credits at this bank paid back duly", L("All credits at this bank paid back duly", "本行贷款均已按时还清")),
            ("existing credits paid back duly till now", L("Existing credits repaid duly so far", "现有贷款至今按时还款")),
            ("delay in paying off in the past", L("Payment delays in the past", "曾有逾期还款")),
            (
                "critical account/ other credits existing (not at this bank)",
                L("Critical account, or credits at other banks", "关注类账户，或在他行另有贷款"),
            ),
        ],
    },
    {
        "source_column": "purpose",
        "name": "purpose",
        "kind": "categorical",
        "label": L("Purpose of the loan", "贷款用途"),
        "help": L("What the applicant will use the money for", "申请人的资金用途"),
        "reason": L("Purpose of the loan", "贷款用途"),
        "categories": [
            ("car (new)", L("New car", "购买新车")),
            ("car (used)", L("Used car", "购买二手车")),
            ("furniture/equipment", L("Furniture or equipment", "家具或设备")),
            ("radio/television", L("Radio or television", "收音机或电视机")),
            ("domestic appliances", L("Domestic appliances", "家用电器")),
            ("repairs", L("Repairs", "维修")),
            ("education", L("Education", "教育")),
            ("retraining", L("Retraining", "职业再培训")),
            ("business", L("Business", "经营用途")),
            ("others", L("Other", "其他")),
        ],
    },
    {
        "source_column": "credit_amount",
        "name": "credit_amount",
        "kind": "numeric",
        "round_to": 500,
        "step": 1,
        "unit": L("DM", "德国马克"),
        "label": L("Credit amount", "贷款金额"),
        "help": L("Amount of the requested loan in Deutsche Mark", "所申请贷款的金额（德国马克）"),
        "reason": L("Credit amount", "贷款金额"),
    },
    {
        "source_column": "savings_account_and_bonds",
        "name": "savings",
        "kind": "categorical",
        "label": L("Savings and bonds", "储蓄及债券"),
        "help": L("Balance of the applicant's savings accounts and bonds", "申请人储蓄账户及债券的余额"),
        "reason": L("Savings and bonds", "储蓄及债券"),
        "categories": [
            ("... < 100 DM", L("Under 100 DM", "100 德国马克以下")),
            ("100 <= ... < 500 DM", L("100 to under 500 DM", "100 至 500 德国马克以下")),
            ("500 <= ... < 1000 DM", L("500 to under 1,000 DM", "500 至 1000 德国马克以下")),
            ("... >= 1000 DM", L("1,000 DM or more", "1000 德国马克及以上")),
            ("unknown/ no savings account", L("Unknown or no savings account", "不详或无储蓄账户")),
        ],
    },
    {
        "source_column": "present_employment_since",
        "name": "employment_since",
        "kind": "categorical",
        "label": L("Present employment since", "现职工作年限"),
        "help": L("How long the applicant has held the present job", "申请人在现任工作岗位的工作时长"),
        "reason": L("Length of present employment", "现职工作年限"),
        "categories": [
            ("unemployed", L("Unemployed", "无业")),
            ("... < 1 year", L("Under 1 year", "不满 1 年")),
            ("1 <= ... < 4 years", L("1 to under 4 years", "1 至 4 年以下")),
            ("4 <= ... < 7 years", L("4 to under 7 years", "4 至 7 年以下")),
            ("... >= 7 years", L("7 years or more", "7 年及以上")),
        ],
    },
    {
        "source_column": "installment_rate_in_percentage_of_disposable_income",
        "name": "installment_rate",
        "kind": "numeric",
        "round_to": 1,
        "step": 1,
    },
    {
        "source_column": "other_debtors_or_guarantors",
        "name": "other_debtors",
        "kind": "categorical",
        "categories": [("none", None), ("co-applicant", None), ("guarantor", None)],
    },
    {
        "source_column": "present_residence_since",
        "name": "residence_since",
        "kind": "numeric",
        "round_to": 1,
        "step": 1,
    },
    {
        "source_column": "property",
        "name": "property",
        "kind": "categorical",
        "label": L("Property", "主要财产"),
        "help": L("The applicant's most valuable property", "申请人最有价值的财产"),
        "reason": L("Property", "财产状况"),
        "categories": [
            ("real estate", L("Real estate", "不动产")),
            (
                "building society savings agreement/ life insurance",
                L("Building-society savings or life insurance", "住房储蓄合同或人寿保险"),
            ),
            (
                "car or other, not in attribute Savings account/bonds",
                L("Car or other property (not savings)", "汽车或其他财产（不含储蓄）"),
            ),
            ("unknown / no property", L("Unknown or no property", "不详或无财产")),
        ],
    },
    {
        "source_column": "other_installment_plans",
        "name": "other_installment_plans",
        "kind": "categorical",
        "label": L("Other instalment plans", "其他分期付款"),
        "help": L("Instalment plans the applicant has elsewhere", "申请人在其他机构的分期付款"),
        "reason": L("Other instalment plans", "其他分期付款"),
        "categories": [
            ("bank", L("At another bank", "在其他银行")),
            ("stores", L("At stores", "在商户")),
            ("none", L("None", "无")),
        ],
    },
    {
        "source_column": "housing",
        "name": "housing",
        "kind": "categorical",
        "label": L("Housing", "住房情况"),
        "help": L("Whether the applicant rents, owns or lives rent-free", "申请人是租房、自有住房还是免费居住"),
        "reason": L("Housing", "住房情况"),
        "categories": [
            ("rent", L("Rents", "租房")),
            ("own", L("Owns", "自有住房")),
            ("for free", L("Lives rent-free", "免费居住")),
        ],
    },
    {
        "source_column": "number_of_existing_credits_at_this_bank",
        "name": "existing_credits",
        "kind": "numeric",
        "round_to": 1,
        "step": 1,
    },
    {
        "source_column": "job",
        "name": "job",
        "kind": "categorical",
        "categories": [
            ("unemployed/ unskilled - non-resident", None),
            ("unskilled - resident", None),
            ("skilled employee / official", None),
            ("management/ self-employed/ highly qualified employee/ officer", None),
        ],
    },
    {
        "source_column": "number_of_people_being_liable_to_provide_maintenance_for",
        "name": "dependants",
        "kind": "numeric",
        "round_to": 1,
        "step": 1,
    },
    {
        "source_column": "telephone",
        "name": "telephone",
        "kind": "categorical",
        "categories": [("none", None), ("yes, registered under the customers name", None)],
    },
]
