"""Reference lists: GB/T 4754-2017 industry sections and the provincial-level regions."""

from django.utils.translation import gettext_lazy as _

INDUSTRY_SECTIONS = {
    "A": _("Agriculture, forestry, animal husbandry and fishery"),
    "B": _("Mining"),
    "C": _("Manufacturing"),
    "D": _("Electricity, heat, gas and water supply"),
    "E": _("Construction"),
    "F": _("Wholesale and retail trade"),
    "G": _("Transport, storage and postal services"),
    "H": _("Accommodation and catering"),
    "I": _("Information transmission, software and IT services"),
    "J": _("Finance"),
    "K": _("Real estate"),
    "L": _("Leasing and business services"),
    "M": _("Scientific research and technical services"),
    "N": _("Water, environment and public facilities management"),
    "O": _("Resident services, repair and other services"),
    "P": _("Education"),
    "Q": _("Health and social work"),
    "R": _("Culture, sports and entertainment"),
    "S": _("Public administration, social security and social organisations"),
    "T": _("International organisations"),
}

INDUSTRY_SECTION_CHOICES = [(k, f"{k} {v}") for k, v in INDUSTRY_SECTIONS.items()]

# Provincial-level divisions with the first two digits of their GB/T 2260 region code.
REGIONS = {
    "11": _("Beijing"), "12": _("Tianjin"), "13": _("Hebei"), "14": _("Shanxi"),
    "15": _("Inner Mongolia"), "21": _("Liaoning"), "22": _("Jilin"), "23": _("Heilongjiang"),
    "31": _("Shanghai"), "32": _("Jiangsu"), "33": _("Zhejiang"), "34": _("Anhui"),
    "35": _("Fujian"), "36": _("Jiangxi"), "37": _("Shandong"), "41": _("Henan"),
    "42": _("Hubei"), "43": _("Hunan"), "44": _("Guangdong"), "45": _("Guangxi"),
    "46": _("Hainan"), "50": _("Chongqing"), "51": _("Sichuan"), "52": _("Guizhou"),
    "53": _("Yunnan"), "54": _("Tibet"), "61": _("Shaanxi"), "62": _("Gansu"),
    "63": _("Qinghai"), "64": _("Ningxia"), "65": _("Xinjiang"), "71": _("Taiwan"),
    "81": _("Hong Kong"), "82": _("Macao"),
}

REGION_CHOICES = list(REGIONS.items())


def industry_label(code: str) -> str:
    if not code:
        return ""
    section = INDUSTRY_SECTIONS.get(code[0])
    return f"{code} {section}" if section else code
