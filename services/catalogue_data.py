"""The seed catalogue: products, partners and the industry playbooks, loaded by the data migration
services 0002 (and kept in step by later ones). Codes are stable: the API, imports and rules name
products by them. Margins are head office's starting points (percent a year of the balance or
amount), editable in the admin."""

from __future__ import annotations

# code, family, name_zh, name_en, annual margin % (of balance or amount), description_zh, description_en
PRODUCTS = [
    ("cash_pool", "cash_management", "现金池", "Cash pool", "0.30",
     "集团资金集中管理：成员单位余额归集、内部计价与透支额度。",
     "Group cash concentration: sweeping member balances, internal pricing and overdraft lines."),
    ("settlement", "cash_management", "结算与收付款", "Settlement and payments", "0.15",
     "对公结算、代收代付与银企直联。", "Corporate settlement, collections and payments, host-to-host banking."),
    ("payroll", "cash_management", "代发工资", "Payroll", "0.10",
     "代发工资与员工金融服务。", "Payroll and employee banking."),
    ("receivables_financing", "supply_chain", "应收账款融资", "Receivables financing", "1.80",
     "以对核心企业的应收账款质押或转让融资。",
     "Financing against receivables owed by the core enterprise (pledge or assignment)."),
    ("reverse_factoring", "supply_chain", "反向保理", "Reverse factoring", "1.60",
     "核心企业确权后为其供应商提前付款。", "Early payment of the core's suppliers on invoices the core approved."),
    ("dealer_financing", "supply_chain", "经销商融资", "Dealer financing", "2.00",
     "为向核心企业采购的经销商提供预付款融资。", "Pre-payment financing for distributors buying from the core."),
    ("inventory_pledge", "supply_chain", "存货质押融资", "Inventory pledge financing", "2.10",
     "以存货或仓单质押融资。", "Financing against pledged inventory or warehouse receipts."),
    ("working_capital_loan", "lending", "流动资金贷款", "Working capital loan", "1.50",
     "满足日常经营周转的短期贷款。", "Short-term loans for day-to-day operations."),
    ("ma_loan", "lending", "并购贷款", "M&A loan", "1.70",
     "支持股权或资产收购的贷款。", "Loans financing acquisitions of shares or assets."),
    ("project_loan", "lending", "房地产开发贷款", "Property development loan", "1.90",
     "房地产项目开发贷款。", "Loans for property development projects."),
    ("mortgage", "lending", "个人住房按揭贷款", "Buyers' mortgages", "0.90",
     "为楼盘购房人提供的按揭贷款合作。", "Mortgage lending to the buyers of a developer's projects."),
    ("cross_border_settlement", "international", "跨境结算", "Cross-border settlement", "0.20",
     "国际结算、跨境人民币与贸易融资结算。", "International settlement, cross-border RMB and trade settlement."),
    ("fx_hedging", "international", "外汇避险", "FX hedging", "0.25",
     "远期、掉期与期权等汇率风险管理工具。", "Forwards, swaps and options to manage currency risk."),
    ("deposit_structured", "investment", "结构性存款", "Structured deposits", "0.60",
     "挂钩利率、汇率或指数的结构性存款。", "Deposits linked to rates, exchange rates or indices."),
    ("wealth_management", "investment", "对公理财", "Corporate wealth management", "0.50",
     "面向企业的理财产品。", "Wealth-management products for companies."),
    ("custody", "custody", "资产托管", "Custody", "0.08",
     "基金、资管计划与股权投资的托管。", "Custody of funds, asset-management plans and private equity."),
    ("legal_consulting", "value_added", "法律咨询", "Legal consulting", "0",
     "与合作律所共同提供的法律服务。", "Legal services delivered with partner law firms."),
    ("tax_planning", "value_added", "税务筹划", "Tax planning", "0",
     "与合作税务师事务所共同提供的税务服务。", "Tax services delivered with partner tax advisers."),
    ("hr_services", "value_added", "人力资源服务", "HR services", "0",
     "招聘、薪酬与员工福利服务。", "Recruitment, compensation and employee benefits services."),
    ("industry_consulting", "value_added", "行业咨询", "Industry consulting", "0",
     "与行业协会、科技公司共同提供的行业研究与数字化咨询。",
     "Industry research and digital consulting with associations and technology firms."),
]

# code, name, kind, services delivered
PARTNERS = [
    ("partner-law-1", "贵州黔诚律师事务所", "law_firm", ["legal_consulting"]),
    ("partner-tax-1", "贵阳正信税务师事务所", "tax_adviser", ["tax_planning"]),
    ("partner-assoc-1", "贵州省建筑材料行业协会", "association", ["industry_consulting"]),
    ("partner-tech-1", "黔云数字科技有限公司", "technology", ["industry_consulting", "hr_services"]),
]

# GB/T 4754 section, role ("core" or a circle role), product, note_zh, note_en
PLAYBOOKS = [
    # Real estate (K): besides the developer loan, the building-material suppliers' financing and
    # the buyers' mortgages.
    ("K", "core", "project_loan", "开发贷款", "The developer loan"),
    ("K", "core", "cash_pool", "项目公司资金归集", "Sweeping the project companies' cash"),
    ("K", "supplier", "receivables_financing", "建材供应商应收账款融资", "Building-material suppliers' receivables financing"),
    ("K", "supplier", "reverse_factoring", "建材供应商反向保理", "Reverse factoring for building-material suppliers"),
    ("K", "customer", "mortgage", "购房人按揭贷款", "The buyers' mortgages"),
    ("K", "subsidiary", "settlement", "项目公司结算账户", "Settlement accounts of the project companies"),
    # Manufacturing (C): the core's supply chain both ways.
    ("C", "core", "cash_pool", "集团现金池", "A group cash pool"),
    ("C", "core", "fx_hedging", "进出口汇率避险", "Hedging import and export currency risk"),
    ("C", "supplier", "receivables_financing", "供应商应收账款融资", "Suppliers' receivables financing"),
    ("C", "distributor", "dealer_financing", "经销商预付款融资", "Distributors' pre-payment financing"),
    ("C", "subsidiary", "payroll", "成员单位代发工资", "Payroll for the member companies"),
    # Wholesale and retail (F).
    ("F", "core", "inventory_pledge", "存货质押融资", "Inventory pledge financing"),
    ("F", "supplier", "reverse_factoring", "供应商反向保理", "Reverse factoring for suppliers"),
    ("F", "distributor", "dealer_financing", "下游经销商融资", "Downstream distributors' financing"),
    # Construction (E).
    ("E", "core", "working_capital_loan", "工程周转资金", "Working capital for projects"),
    ("E", "supplier", "receivables_financing", "分包商与材料商应收账款融资",
     "Subcontractors' and material suppliers' receivables financing"),
    ("E", "core", "legal_consulting", "工程合同法律咨询", "Legal advice on construction contracts"),
]


def load(Product, Partner, PlaybookItem) -> None:  # noqa: N803 (model classes: the migration passes historical ones)
    """Write the seed catalogue: products and partners by code, playbook items by their key; names,
    families and notes are updated, nothing is deleted. Used by the data migration (services 0002) and
    by tests that run after a transactional test emptied the tables."""
    products = {}
    for code, family, name_zh, name_en, margin, desc_zh, desc_en in PRODUCTS:
        products[code], _ = Product.objects.update_or_create(
            code=code, defaults={"family": family, "name_zh": name_zh, "name_en": name_en,
                                 "annual_margin_pct": margin, "description_zh": desc_zh,
                                 "description_en": desc_en})
    for code, name, kind, delivers in PARTNERS:
        partner, _ = Partner.objects.update_or_create(code=code, defaults={"name": name, "kind": kind})
        partner.products.add(*[products[c] for c in delivers])
    for section, role, product, note_zh, note_en in PLAYBOOKS:
        PlaybookItem.objects.update_or_create(industry_section=section, role=role, product=products[product],
                                              defaults={"note_zh": note_zh, "note_en": note_en})
