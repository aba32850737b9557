"""Disease groups: the codes admissions and referrals carry, with their Chinese and English names.

The first five are the out-of-county conditions seed 000 §二(二)3 asks the county to watch (恶性肿瘤,
冠心病, 肺炎, 脑梗死, 精神疾病); the rest cover the bulk of admissions so every row has a group.
"""

from __future__ import annotations

from typing import NamedTuple


class DiseaseGroup(NamedTuple):
    code: str
    name_zh: str
    name_en: str
    watched: bool  # one of the five seed 000 §二(二)3 watches


DISEASE_GROUPS: tuple[DiseaseGroup, ...] = (
    DiseaseGroup("cancer", "恶性肿瘤", "Malignant tumours", True),
    DiseaseGroup("chd", "冠心病", "Coronary heart disease", True),
    DiseaseGroup("pneumonia", "肺炎", "Pneumonia", True),
    DiseaseGroup("stroke", "脑梗死", "Cerebral infarction", True),
    DiseaseGroup("mental", "精神疾病", "Mental disorders", True),
    DiseaseGroup("trauma", "创伤", "Trauma", False),
    DiseaseGroup("childbirth", "分娩", "Childbirth", False),
    DiseaseGroup("copd", "慢阻肺", "COPD", False),
    DiseaseGroup("other", "其他", "Other", False),
)
CODES: tuple[str, ...] = tuple(g.code for g in DISEASE_GROUPS)
WATCHED: tuple[str, ...] = tuple(g.code for g in DISEASE_GROUPS if g.watched)
_BY_CODE = {g.code: g for g in DISEASE_GROUPS}


def name(code: str, lang: str = "zh") -> str:
    """Display name of a group in ``lang`` ('zh' or 'en'); unknown codes are shown as they are."""
    group = _BY_CODE.get(code)
    if group is None:
        return code
    return group.name_en if lang == "en" else group.name_zh
