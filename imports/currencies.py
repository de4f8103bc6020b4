"""Active ISO 4217 currency codes (alphabetic), as listed by the maintenance agency (SIX), 2024.

Kept as a module constant: the list changes rarely (a handful of codes per decade) and imports must
not depend on the network. Funds codes and precious metals (XAU, XDR, ...) are left out on purpose:
a flow between enterprises is settled in a currency."""

ISO_4217_ACTIVE = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
    BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL
    GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW
    KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN
    NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK
    SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS
    VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
    """.split()
)

# Currencies as people write them in files (matched after NFKC, then as written or upper-cased): names
# and signs that stand for one currency only. `$` (US, Hong Kong, Singapore, ...) stands for none.
CURRENCY_ALIASES = {
    "人民币": "CNY", "元": "CNY", "RMB": "CNY", "¥": "CNY", "人民币元": "CNY",
    "美元": "USD", "US$": "USD", "USD$": "USD",
    "欧元": "EUR", "€": "EUR",
    "港币": "HKD", "港元": "HKD", "HK$": "HKD",
    "日元": "JPY", "日圆": "JPY",
    "英镑": "GBP", "£": "GBP",
    "澳元": "AUD", "加元": "CAD", "瑞士法郎": "CHF", "新加坡元": "SGD",
}
