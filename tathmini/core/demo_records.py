"""Illustrative operational records for the demo: institutions, their e-services and returns, the
Agency's own work and the public's feedback over the plan's five fiscal years (2012/13–2016/17).

The institutions follow public facts (``DEMO-FACTS.md``): ministries, independent departments,
executive agencies and public corporations (about 200 MDAs), 26 regional secretariats and about
185 councils. Every figure is invented, and every institution and e-service carries
``illustrative=True`` so the product labels them.

Deterministic: one ``random.Random(seed)`` drives everything, and nothing depends on database ids,
so two loads into fresh databases give the same rows. Idempotent: when the demo e-services exist,
nothing is loaded. No audit events are written: this is seeded history, not a change anyone made.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils.text import slugify

from tathmini.accounts.models import User
from tathmini.core import demo, periods
from tathmini.feedback.models import (
    Complaint,
    ComplaintUpdate,
    InformationRequest,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
)
from tathmini.registry.models import (
    ComplianceAssessment,
    EService,
    FocalPerson,
    Initiative,
    Institution,
    Region,
    ResourceSubscription,
    SharedResource,
    Standard,
    UsageReturn,
    WorkforceReturn,
)
from tathmini.services.models import BudgetLine, Engagement, PostRecord, Revenue
from tathmini.strategy.models import OrgUnit

DEMO_SEED = 20122017
PREFIX = "demo-"
FIRST_YEAR = 2012  # FY 2012/13 …
LAST_YEAR = 2016  # … FY 2016/17
FISCAL_YEARS = [periods.fiscal_year(y) for y in range(FIRST_YEAR, LAST_YEAR + 1)]
PLAN_START = FISCAL_YEARS[0].start
PLAN_END = FISCAL_YEARS[-1].end
HISTORY_START = date(2012, 1, 1)  # a little history before the plan, for baselines
EAT = timezone(timedelta(hours=3), "EAT")
DEMO_OFFICER = "afisa.ushauri"

# --- shared helpers (the generator uses them too) ---------------------------------------------


def add_working_days(day: date, n: int) -> date:
    """``day`` plus ``n`` working days (Monday–Friday); public holidays are not counted."""
    # From a weekend day the count runs as from the Friday before: the next working day is Monday.
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    weeks, rest = divmod(n, 5)
    out = day + timedelta(weeks=weeks)
    while rest:
        out += timedelta(days=1)
        if out.weekday() < 5:
            rest -= 1
    return out


# Unambiguous characters, as in tathmini.feedback.models.new_reference.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_REF_SPACE = len(REFERENCE_ALPHABET) ** 8
_REF_STEP = 295_147_905_179  # coprime to 31**8, so n → n·step + offset is a bijection
# Two characters per base-961 digit: half the arithmetic for a million numbers.
_REF_PAIRS = [REFERENCE_ALPHABET[r % 31] + REFERENCE_ALPHABET[r // 31] for r in range(961)]


class ReferenceMaker:
    """Public reference numbers that look random yet never repeat: the n-th number is a fixed
    permutation of n, so a million of them need no uniqueness check."""

    def __init__(self, prefix: str, offset: int) -> None:
        self.prefix = prefix
        self.offset = offset % _REF_SPACE

    def __call__(self, n: int) -> str:
        x = (n * _REF_STEP + self.offset) % _REF_SPACE
        x, a = divmod(x, 961)
        x, b = divmod(x, 961)
        d, c = divmod(x, 961)
        pairs = _REF_PAIRS
        return f"{self.prefix}-{pairs[a]}{pairs[b]}-{pairs[c]}{pairs[d]}"


def weighted(rng: random.Random, pairs: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def year_index(day: date) -> int:
    """0 for FY 2012/13 … 4 for FY 2016/17, clamped: drives the trends."""
    fy = periods.fiscal_year_of(day).start.year
    return min(max(fy - FIRST_YEAR, 0), LAST_YEAR - FIRST_YEAR)


def random_day(rng: random.Random, start: date, end: date, skew: float = 1.0) -> date:
    """A day in [start, end]; skew < 1 leans towards the end (growth), > 1 towards the start."""
    span = (end - start).days
    return start + timedelta(days=int(span * rng.random() ** skew + 0.5))


def office_time(rng: random.Random, day: date) -> datetime:
    """A moment in office hours (East Africa Time) on ``day``, stored in UTC."""
    minutes = rng.randint(8 * 60, 17 * 60)
    return datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=EAT).astimezone(UTC)


# --- vocabularies: public names, invented everything else -------------------------------------


def _table(text: str) -> list[list[str]]:
    """Rows of a ``|``-separated table; a backslash continues a row on the next line."""
    return [[cell.strip() for cell in line.split("|")] for line in text.strip().splitlines()]


def _day(cell: str) -> date | None:
    return None if cell == "-" else date.fromisoformat(cell)


# Ministries, independent departments, executive agencies and public corporations: one per line,
# code | region | parent | established on | dissolved on | Swahili name | English name.
# The Ministry of Livestock and Fisheries Development merged into Agriculture in December 2015.
MINISTRIES = _table(
    """
ofisi-rais-ikulu | Dar es Salaam | - | - | - | Ofisi ya Rais – Ikulu | President's Office – State House
ofisi-rais-utumishi | Dar es Salaam | - | - | - | Ofisi ya Rais – Menejimenti ya Utumishi wa Umma na Utawala Bora \
    | President's Office – Public Service Management and Good Governance
ofisi-rais-tamisemi | Dodoma | - | - | - | Ofisi ya Rais – Tawala za Mikoa na Serikali za Mitaa \
    | President's Office – Regional Administration and Local Government
ofisi-makamu-rais | Dar es Salaam | - | - | - | Ofisi ya Makamu wa Rais – Muungano na Mazingira \
    | Vice-President's Office – Union Affairs and Environment
ofisi-waziri-mkuu | Dodoma | - | - | - | Ofisi ya Waziri Mkuu | Prime Minister's Office
ofisi-wm-kazi | Dodoma | - | - | - | Ofisi ya Waziri Mkuu – Kazi, Vijana, Ajira na Watu wenye Ulemavu \
    | Prime Minister's Office – Labour, Youth, Employment and Persons with Disability
wizara-fedha | Dar es Salaam | - | - | - | Wizara ya Fedha na Mipango | Ministry of Finance and Planning
wizara-afya | Dar es Salaam | - | - | - | Wizara ya Afya, Maendeleo ya Jamii, Jinsia, Wazee na Watoto \
    | Ministry of Health, Community Development, Gender, Elderly and Children
wizara-elimu | Dar es Salaam | - | - | - | Wizara ya Elimu, Sayansi na Teknolojia \
    | Ministry of Education, Science and Technology
wizara-nje | Dar es Salaam | - | - | - | Wizara ya Mambo ya Nje na Ushirikiano wa Afrika Mashariki \
    | Ministry of Foreign Affairs and East African Cooperation
wizara-ndani | Dar es Salaam | - | - | - | Wizara ya Mambo ya Ndani ya Nchi | Ministry of Home Affairs
wizara-ulinzi | Dar es Salaam | - | - | - | Wizara ya Ulinzi na Jeshi la Kujenga Taifa \
    | Ministry of Defence and National Service
wizara-katiba | Dar es Salaam | - | - | - | Wizara ya Katiba na Sheria | Ministry of Constitutional and Legal Affairs
wizara-kilimo | Dar es Salaam | - | - | - | Wizara ya Kilimo, Mifugo na Uvuvi \
    | Ministry of Agriculture, Livestock and Fisheries
wizara-maji | Dar es Salaam | - | - | - | Wizara ya Maji na Umwagiliaji | Ministry of Water and Irrigation
wizara-nishati | Dar es Salaam | - | - | - | Wizara ya Nishati na Madini | Ministry of Energy and Minerals
wizara-ujenzi | Dar es Salaam | - | - | - | Wizara ya Ujenzi | Ministry of Works
wizara-uchukuzi | Dar es Salaam | - | - | - | Wizara ya Uchukuzi | Ministry of Transport
wizara-ardhi | Dar es Salaam | - | - | - | Wizara ya Ardhi, Nyumba na Maendeleo ya Makazi \
    | Ministry of Lands, Housing and Human Settlements Development
wizara-maliasili | Dar es Salaam | - | - | - | Wizara ya Maliasili na Utalii | Ministry of Natural Resources and Tourism
wizara-viwanda | Dar es Salaam | - | - | - | Wizara ya Viwanda, Biashara na Uwekezaji \
    | Ministry of Industry, Trade and Investment
wizara-habari | Dar es Salaam | - | - | - | Wizara ya Habari, Utamaduni, Sanaa na Michezo \
    | Ministry of Information, Culture, Arts and Sports
wizara-jamii | Dar es Salaam | - | - | - | Wizara ya Maendeleo ya Jamii, Jinsia na Watoto \
    | Ministry of Community Development, Gender and Children
wizara-mifugo | Dar es Salaam | - | - | 2015-12-10 | Wizara ya Maendeleo ya Mifugo na Uvuvi \
    | Ministry of Livestock and Fisheries Development
"""
)

# The Constitutional Review Commission handed over its draft and was dissolved in March 2014.
INDEPENDENT_DEPARTMENTS = _table(
    """
nao | Dar es Salaam | - | - | - | Ofisi ya Taifa ya Ukaguzi | National Audit Office
msajili-hazina | Dar es Salaam | wizara-fedha | - | - | Ofisi ya Msajili wa Hazina | Office of the Treasury Registrar
mhasibu-mkuu | Dar es Salaam | wizara-fedha | - | - | Idara ya Mhasibu Mkuu wa Serikali \
    | Accountant General's Department
tume-utumishi | Dar es Salaam | ofisi-rais-utumishi | - | - | Tume ya Utumishi wa Umma | Public Service Commission
ajira | Dar es Salaam | ofisi-rais-utumishi | - | - | Sekretarieti ya Ajira katika Utumishi wa Umma \
    | Public Service Recruitment Secretariat
mishahara | Dar es Salaam | ofisi-rais-utumishi | - | - | Bodi ya Mishahara na Maslahi katika Utumishi wa Umma \
    | Public Service Pay and Incentive Board
nyaraka | Dar es Salaam | ofisi-rais-utumishi | - | - | Idara ya Kumbukumbu na Nyaraka za Taifa \
    | Records and Archives Management Department
chragg | Dar es Salaam | - | - | - | Tume ya Haki za Binadamu na Utawala Bora \
    | Commission for Human Rights and Good Governance
agc | Dar es Salaam | - | - | - | Ofisi ya Mwanasheria Mkuu wa Serikali | Attorney General's Chambers
dpp | Dar es Salaam | wizara-katiba | - | - | Ofisi ya Taifa ya Mashtaka | National Prosecutions Service
mahakama | Dar es Salaam | - | - | - | Mahakama ya Tanzania | Judiciary of Tanzania
bunge | Dodoma | - | - | - | Ofisi ya Bunge | Office of the National Assembly
nec | Dar es Salaam | - | - | - | Tume ya Taifa ya Uchaguzi | National Electoral Commission
tume-mipango | Dar es Salaam | wizara-fedha | - | - | Tume ya Mipango | Planning Commission
takukuru | Dar es Salaam | ofisi-rais-ikulu | - | - | Taasisi ya Kuzuia na Kupambana na Rushwa \
    | Prevention and Combating of Corruption Bureau
maadili | Dar es Salaam | ofisi-rais-ikulu | - | - | Sekretarieti ya Maadili ya Viongozi wa Umma | Ethics Secretariat
msajili-vyama | Dar es Salaam | ofisi-waziri-mkuu | - | - | Ofisi ya Msajili wa Vyama vya Siasa \
    | Office of the Registrar of Political Parties
uhamiaji | Dar es Salaam | wizara-ndani | - | - | Idara ya Uhamiaji | Immigration Department
polisi | Dar es Salaam | wizara-ndani | - | - | Jeshi la Polisi Tanzania | Tanzania Police Force
magereza | Dar es Salaam | wizara-ndani | - | - | Jeshi la Magereza | Tanzania Prisons Service
zimamoto | Dar es Salaam | wizara-ndani | - | - | Jeshi la Zimamoto na Uokoaji | Fire and Rescue Force
lrct | Dar es Salaam | wizara-katiba | - | - | Tume ya Kurekebisha Sheria Tanzania | Law Reform Commission of Tanzania
cma | Dar es Salaam | ofisi-wm-kazi | - | - | Tume ya Usuluhishi na Uamuzi | Commission for Mediation and Arbitration
jfc | Dar es Salaam | wizara-fedha | - | - | Tume ya Pamoja ya Fedha | Joint Finance Commission
maafa | Dar es Salaam | ofisi-waziri-mkuu | - | - | Idara ya Uratibu wa Maafa | Disaster Management Department
tume-ushindani | Dar es Salaam | wizara-viwanda | - | - | Tume ya Ushindani | Fair Competition Commission
taec | Dar es Salaam | wizara-elimu | - | - | Tume ya Nguvu za Atomiki Tanzania | Tanzania Atomic Energy Commission
nlupc | Dar es Salaam | wizara-ardhi | - | - | Tume ya Taifa ya Mipango ya Matumizi ya Ardhi \
    | National Land Use Planning Commission
maelezo | Dar es Salaam | wizara-habari | - | - | Idara ya Habari (MAELEZO) | Information Services Department
tsc | Dar es Salaam | ofisi-rais-tamisemi | 2016-07-01 | - | Tume ya Utumishi wa Walimu | Teachers' Service Commission
tume-katiba | Dar es Salaam | - | 2012-04-13 | 2014-03-19 | Tume ya Mabadiliko ya Katiba \
    | Constitutional Review Commission
"""
)

AGENCIES = _table(
    """
tpsc | Dar es Salaam | ofisi-rais-utumishi | - | - | Chuo cha Utumishi wa Umma Tanzania \
    | Tanzania Public Service College
tagla | Dar es Salaam | ofisi-rais-utumishi | - | - | Wakala wa Mtandao wa Mafunzo kwa Njia ya Kielektroniki Tanzania \
    | Tanzania Global Learning Agency
nbs | Dar es Salaam | wizara-fedha | - | - | Ofisi ya Taifa ya Takwimu | National Bureau of Statistics
gpsa | Dar es Salaam | wizara-fedha | - | - | Wakala wa Huduma ya Ununuzi Serikalini \
    | Government Procurement Services Agency
tanroads | Dar es Salaam | wizara-ujenzi | - | - | Wakala wa Barabara Tanzania | Tanzania National Roads Agency
tba | Dar es Salaam | wizara-ujenzi | - | - | Wakala wa Majengo Tanzania | Tanzania Buildings Agency
temesa | Dar es Salaam | wizara-ujenzi | - | - | Wakala wa Ufundi na Umeme Tanzania \
    | Tanzania Electrical, Mechanical and Electronics Services Agency
gfa | Dar es Salaam | wizara-ujenzi | - | - | Wakala wa Ndege za Serikali | Government Flight Agency
tma | Dar es Salaam | wizara-uchukuzi | - | - | Wakala wa Hali ya Hewa Tanzania | Tanzania Meteorological Agency
nit | Dar es Salaam | wizara-uchukuzi | - | - | Chuo cha Taifa cha Usafirishaji | National Institute of Transport
dart | Dar es Salaam | ofisi-rais-tamisemi | - | - | Wakala wa Mabasi Yaendayo Haraka | Dar Rapid Transit Agency
rita | Dar es Salaam | wizara-katiba | - | - | Wakala wa Usajili, Ufilisi na Udhamini \
    | Registration, Insolvency and Trusteeship Agency
ija | Tanga | mahakama | - | - | Chuo cha Uongozi wa Mahakama Lushoto | Institute of Judicial Administration Lushoto
brela | Dar es Salaam | wizara-viwanda | - | - | Wakala wa Usajili wa Biashara na Leseni \
    | Business Registrations and Licensing Agency
wma | Dar es Salaam | wizara-viwanda | - | - | Wakala wa Vipimo | Weights and Measures Agency
cbe | Dar es Salaam | wizara-viwanda | - | - | Chuo cha Elimu ya Biashara | College of Business Education
tfs | Dar es Salaam | wizara-maliasili | - | - | Wakala wa Huduma za Misitu Tanzania | Tanzania Forest Services Agency
nct | Dar es Salaam | wizara-maliasili | - | - | Chuo cha Taifa cha Utalii | National College of Tourism
gst | Dodoma | wizara-nishati | - | - | Wakala wa Jiolojia Tanzania | Geological Survey of Tanzania
tmaa | Dar es Salaam | wizara-nishati | - | - | Wakala wa Ukaguzi wa Madini Tanzania | Tanzania Minerals Audit Agency
rea | Dar es Salaam | wizara-nishati | - | - | Wakala wa Nishati Vijijini | Rural Energy Agency
asa | Morogoro | wizara-kilimo | - | - | Wakala wa Mbegu za Kilimo | Agricultural Seed Agency
nfra | Dar es Salaam | wizara-kilimo | - | - | Wakala wa Taifa wa Hifadhi ya Chakula | National Food Reserve Agency
tosci | Morogoro | wizara-kilimo | - | - | Taasisi ya Udhibiti wa Ubora wa Mbegu Tanzania \
    | Tanzania Official Seed Certification Institute
tvla | Dar es Salaam | wizara-kilimo | - | - | Wakala wa Maabara ya Veterinari Tanzania \
    | Tanzania Veterinary Laboratory Agency
lita | Dodoma | wizara-kilimo | - | - | Wakala wa Mafunzo ya Mifugo | Livestock Training Agency
feta | Dar es Salaam | wizara-kilimo | - | - | Wakala wa Elimu na Mafunzo ya Uvuvi \
    | Fisheries Education and Training Agency
gcla | Dar es Salaam | wizara-afya | - | - | Wakala wa Maabara ya Mkemia Mkuu wa Serikali \
    | Government Chemist Laboratory Agency
msd | Dar es Salaam | wizara-afya | - | - | Bohari ya Dawa | Medical Stores Department
adem | Pwani | wizara-elimu | - | - | Wakala wa Maendeleo ya Uongozi wa Elimu \
    | Agency for the Development of Educational Management
osha | Dar es Salaam | ofisi-wm-kazi | - | - | Wakala wa Usalama na Afya Mahali pa Kazi \
    | Occupational Safety and Health Authority
taesa | Dar es Salaam | ofisi-wm-kazi | - | - | Wakala wa Huduma za Ajira Tanzania | Tanzania Employment Services Agency
nhbra | Dar es Salaam | wizara-ardhi | - | - | Wakala wa Utafiti wa Vifaa vya Ujenzi wa Nyumba \
    | National Housing and Building Research Agency
ddca | Dar es Salaam | wizara-maji | - | - | Wakala wa Uchimbaji Visima na Ujenzi wa Mabwawa \
    | Drilling and Dam Construction Agency
chuo-maji | Dar es Salaam | wizara-maji | - | - | Chuo cha Maji | Water Institute
tasuba | Pwani | wizara-habari | - | - | Taasisi ya Sanaa na Utamaduni Bagamoyo | Bagamoyo College of Arts and Culture
malya | Mwanza | wizara-habari | - | - | Chuo cha Maendeleo ya Michezo Malya | Malya Sports Development College
cfr | Dar es Salaam | wizara-nje | - | - | Chuo cha Diplomasia | Centre for Foreign Relations
irdp | Dodoma | wizara-fedha | - | - | Chuo cha Mipango ya Maendeleo Vijijini | Institute of Rural Development Planning
eastc | Dar es Salaam | wizara-fedha | - | - | Chuo cha Takwimu Mashariki mwa Afrika \
    | Eastern Africa Statistical Training Centre
ardhi-morogoro | Morogoro | wizara-ardhi | - | - | Chuo cha Ardhi Morogoro | Ardhi Institute Morogoro
ardhi-tabora | Tabora | wizara-ardhi | - | - | Chuo cha Ardhi Tabora | Ardhi Institute Tabora
mati-uyole | Mbeya | wizara-kilimo | - | - | Chuo cha Mafunzo ya Kilimo Uyole | Uyole Agricultural Training Institute
mati-ukiriguru | Mwanza | wizara-kilimo | - | - | Chuo cha Mafunzo ya Kilimo Ukiriguru \
    | Ukiriguru Agricultural Training Institute
mati-tumbi | Tabora | wizara-kilimo | - | - | Chuo cha Mafunzo ya Kilimo Tumbi | Tumbi Agricultural Training Institute
mati-ilonga | Morogoro | wizara-kilimo | - | - | Chuo cha Mafunzo ya Kilimo Ilonga \
    | Ilonga Agricultural Training Institute
forest-olmotonyi | Arusha | wizara-maliasili | - | - | Chuo cha Misitu Olmotonyi | Olmotonyi Forestry Training Institute
pasiansi | Mwanza | wizara-maliasili | - | - | Chuo cha Wanyamapori Pasiansi | Pasiansi Wildlife Training Institute
cdti-tengeru | Arusha | wizara-jamii | - | - | Taasisi ya Maendeleo ya Jamii Tengeru \
    | Tengeru Institute of Community Development
cdti-rungemba | Iringa | wizara-jamii | - | - | Chuo cha Maendeleo ya Jamii Rungemba \
    | Rungemba Community Development Training Institute
cdti-buhare | Mara | wizara-jamii | - | - | Chuo cha Maendeleo ya Jamii Buhare \
    | Buhare Community Development Training Institute
cdti-mlale | Ruvuma | wizara-jamii | - | - | Chuo cha Maendeleo ya Jamii Mlale \
    | Mlale Community Development Training Institute
cdti-misungwi | Mwanza | wizara-jamii | - | - | Chuo cha Maendeleo ya Jamii Misungwi \
    | Misungwi Community Development Training Institute
cdti-uyole | Mbeya | wizara-jamii | - | - | Chuo cha Maendeleo ya Jamii Uyole \
    | Uyole Community Development Training Institute
"""
)

# Folk development colleges (Vyuo vya Maendeleo ya Wananchi) under the community-development
# ministry: place | region.
FOLK_COLLEGES = _table(
    """
Bigwa | Morogoro
Buhangija | Shinyanga
Chisalu | Dodoma
Gera | Kagera
Handeni | Tanga
Ikwiriri | Pwani
Ilula | Iringa
Kasulu | Kigoma
Katumba | Mbeya
Kibondo | Kigoma
Kilwa Masoko | Lindi
Kisangwa | Mara
Malampaka | Simiyu
Mamtukuna | Kilimanjaro
Monduli | Arusha
Msaginya | Katavi
Msingi | Singida
Muhukuru | Ruvuma
Munguri | Dodoma
Mwanva | Kigoma
Newala | Mtwara
Nzega | Tabora
Sikonge | Tabora
Tarime | Mara
Ulembwe | Njombe
Urambo | Tabora
Karumo | Geita
Mbinga | Ruvuma
Rubondo | Geita
Sofi | Morogoro
Kiwanda | Tanga
Mputa | Ruvuma
Chilala | Lindi
Kihinga | Kigoma
Nandembo | Ruvuma
Tango | Mbeya
"""
)

CORPORATIONS = _table(
    """
tra | Dar es Salaam | wizara-fedha | - | - | Mamlaka ya Mapato Tanzania | Tanzania Revenue Authority
tanesco | Dar es Salaam | wizara-nishati | - | - | Shirika la Umeme Tanzania | Tanzania Electric Supply Company
ttcl | Dar es Salaam | wizara-uchukuzi | - | - | Kampuni ya Simu Tanzania | Tanzania Telecommunications Company
tpa | Dar es Salaam | wizara-uchukuzi | - | - | Mamlaka ya Usimamizi wa Bandari Tanzania | Tanzania Ports Authority
nhc | Dar es Salaam | wizara-ardhi | - | - | Shirika la Nyumba la Taifa | National Housing Corporation
trl | Dar es Salaam | wizara-uchukuzi | - | - | Kampuni ya Reli Tanzania | Tanzania Railways Limited
atcl | Dar es Salaam | wizara-uchukuzi | - | - | Kampuni ya Ndege Tanzania | Air Tanzania Company Limited
tpdc | Dar es Salaam | wizara-nishati | - | - | Shirika la Maendeleo ya Petroli Tanzania \
    | Tanzania Petroleum Development Corporation
nssf | Dar es Salaam | ofisi-wm-kazi | - | - | Mfuko wa Taifa wa Hifadhi ya Jamii | National Social Security Fund
pspf | Dar es Salaam | wizara-fedha | - | - | Mfuko wa Pensheni wa Watumishi wa Umma | Public Service Pensions Fund
lapf | Dodoma | wizara-fedha | - | - | Mfuko wa Pensheni wa Serikali za Mitaa | Local Authorities Pensions Fund
nhif | Dar es Salaam | wizara-afya | - | - | Mfuko wa Taifa wa Bima ya Afya | National Health Insurance Fund
tcra | Dar es Salaam | wizara-uchukuzi | - | - | Mamlaka ya Mawasiliano Tanzania \
    | Tanzania Communications Regulatory Authority
ewura | Dar es Salaam | wizara-nishati | - | - | Mamlaka ya Udhibiti wa Huduma za Nishati na Maji \
    | Energy and Water Utilities Regulatory Authority
sumatra | Dar es Salaam | wizara-uchukuzi | - | - | Mamlaka ya Udhibiti wa Usafiri wa Nchi Kavu na Majini \
    | Surface and Marine Transport Regulatory Authority
tcaa | Dar es Salaam | wizara-uchukuzi | - | - | Mamlaka ya Usafiri wa Anga Tanzania | Tanzania Civil Aviation Authority
taa | Dar es Salaam | wizara-uchukuzi | - | - | Mamlaka ya Viwanja vya Ndege Tanzania | Tanzania Airports Authority
tbs | Dar es Salaam | wizara-viwanda | - | - | Shirika la Viwango Tanzania | Tanzania Bureau of Standards
tfda | Dar es Salaam | wizara-afya | - | - | Mamlaka ya Chakula na Dawa Tanzania | Tanzania Food and Drugs Authority
tic | Dar es Salaam | wizara-viwanda | - | - | Kituo cha Uwekezaji Tanzania | Tanzania Investment Centre
nemc | Dar es Salaam | ofisi-makamu-rais | - | - | Baraza la Taifa la Hifadhi na Usimamizi wa Mazingira \
    | National Environment Management Council
tanapa | Arusha | wizara-maliasili | - | - | Shirika la Hifadhi za Taifa Tanzania | Tanzania National Parks
ncaa | Arusha | wizara-maliasili | - | - | Mamlaka ya Hifadhi ya Ngorongoro | Ngorongoro Conservation Area Authority
ttb | Dar es Salaam | wizara-maliasili | - | - | Bodi ya Utalii Tanzania | Tanzania Tourist Board
tawa | Morogoro | wizara-maliasili | 2016-07-01 | - | Mamlaka ya Usimamizi wa Wanyamapori Tanzania \
    | Tanzania Wildlife Management Authority
udsm | Dar es Salaam | wizara-elimu | - | - | Chuo Kikuu cha Dar es Salaam | University of Dar es Salaam
udom | Dodoma | wizara-elimu | - | - | Chuo Kikuu cha Dodoma | University of Dodoma
sua | Morogoro | wizara-elimu | - | - | Chuo Kikuu cha Kilimo cha Sokoine | Sokoine University of Agriculture
muhas | Dar es Salaam | wizara-elimu | - | - | Chuo Kikuu cha Afya na Sayansi Shirikishi Muhimbili \
    | Muhimbili University of Health and Allied Sciences
aru | Dar es Salaam | wizara-elimu | - | - | Chuo Kikuu Ardhi | Ardhi University
must | Mbeya | wizara-elimu | - | - | Chuo Kikuu cha Sayansi na Teknolojia Mbeya \
    | Mbeya University of Science and Technology
mocu | Kilimanjaro | wizara-elimu | - | - | Chuo Kikuu cha Ushirika Moshi | Moshi Co-operative University
heslb | Dar es Salaam | wizara-elimu | - | - | Bodi ya Mikopo ya Wanafunzi wa Elimu ya Juu \
    | Higher Education Students' Loans Board
necta | Dar es Salaam | wizara-elimu | - | - | Baraza la Mitihani la Tanzania \
    | National Examinations Council of Tanzania
tcu | Dar es Salaam | wizara-elimu | - | - | Tume ya Vyuo Vikuu Tanzania | Tanzania Commission for Universities
nacte | Dar es Salaam | wizara-elimu | - | - | Baraza la Taifa la Elimu ya Ufundi \
    | National Council for Technical Education
veta | Dar es Salaam | wizara-elimu | - | - | Mamlaka ya Elimu na Mafunzo ya Ufundi Stadi \
    | Vocational Education and Training Authority
tie | Dar es Salaam | wizara-elimu | - | - | Taasisi ya Elimu Tanzania | Tanzania Institute of Education
costech | Dar es Salaam | wizara-elimu | - | - | Tume ya Taifa ya Sayansi na Teknolojia \
    | Tanzania Commission for Science and Technology
tpb | Dar es Salaam | wizara-fedha | - | - | Benki ya Posta Tanzania | Tanzania Postal Bank
tib | Dar es Salaam | wizara-fedha | - | - | Benki ya Rasilimali Tanzania | Tanzania Investment Bank
tpc | Dar es Salaam | wizara-uchukuzi | - | - | Shirika la Posta Tanzania | Tanzania Posts Corporation
dawasa | Dar es Salaam | wizara-maji | - | - | Mamlaka ya Majisafi na Usafi wa Mazingira Dar es Salaam \
    | Dar es Salaam Water and Sewerage Authority
muwsa | Kilimanjaro | wizara-maji | - | - | Mamlaka ya Majisafi na Usafi wa Mazingira Moshi \
    | Moshi Urban Water Supply and Sanitation Authority
mnh | Dar es Salaam | wizara-afya | - | - | Hospitali ya Taifa Muhimbili | Muhimbili National Hospital
moi | Dar es Salaam | wizara-afya | - | - | Taasisi ya Tiba ya Mifupa Muhimbili | Muhimbili Orthopaedic Institute
orci | Dar es Salaam | wizara-afya | - | - | Taasisi ya Saratani Ocean Road | Ocean Road Cancer Institute
jkci | Dar es Salaam | wizara-afya | 2015-09-01 | - | Taasisi ya Moyo Jakaya Kikwete | Jakaya Kikwete Cardiac Institute
tsn | Dar es Salaam | wizara-habari | - | - | Kampuni ya Magazeti ya Serikali | Tanzania Standard Newspapers
tbc | Dar es Salaam | wizara-habari | - | - | Shirika la Utangazaji Tanzania | Tanzania Broadcasting Corporation
nic | Dar es Salaam | wizara-fedha | - | - | Shirika la Bima la Taifa | National Insurance Corporation
ppra | Dar es Salaam | wizara-fedha | - | - | Mamlaka ya Udhibiti wa Ununuzi wa Umma \
    | Public Procurement Regulatory Authority
stamico | Dar es Salaam | wizara-nishati | - | - | Shirika la Madini la Taifa | State Mining Corporation
ndc | Dar es Salaam | wizara-viwanda | - | - | Shirika la Maendeleo la Taifa | National Development Corporation
sido | Dar es Salaam | wizara-viwanda | - | - | Shirika la Kuhudumia Viwanda Vidogo \
    | Small Industries Development Organisation
nida | Dar es Salaam | wizara-ndani | - | - | Mamlaka ya Vitambulisho vya Taifa | National Identification Authority
"""
)

# Councils of each mainland region: region | name | kind (dc district, mc municipal, tc town,
# cc city) | established on.
LGAS = _table(
    """
Arusha | Arusha | cc | -
Arusha | Arusha | dc | -
Arusha | Meru | dc | -
Arusha | Karatu | dc | -
Arusha | Monduli | dc | -
Arusha | Longido | dc | -
Arusha | Ngorongoro | dc | -
Dar es Salaam | Dar es Salaam | cc | -
Dar es Salaam | Ilala | mc | -
Dar es Salaam | Kinondoni | mc | -
Dar es Salaam | Temeke | mc | -
Dar es Salaam | Ubungo | mc | 2016-07-01
Dar es Salaam | Kigamboni | mc | 2016-07-01
Dodoma | Dodoma | mc | -
Dodoma | Bahi | dc | -
Dodoma | Chamwino | dc | -
Dodoma | Chemba | dc | -
Dodoma | Kondoa | dc | -
Dodoma | Kondoa | tc | 2015-07-01
Dodoma | Kongwa | dc | -
Dodoma | Mpwapwa | dc | -
Geita | Geita | dc | -
Geita | Geita | tc | -
Geita | Bukombe | dc | -
Geita | Chato | dc | -
Geita | Mbogwe | dc | -
Geita | Nyang'hwale | dc | -
Iringa | Iringa | mc | -
Iringa | Iringa | dc | -
Iringa | Kilolo | dc | -
Iringa | Mufindi | dc | -
Iringa | Mafinga | tc | -
Kagera | Bukoba | mc | -
Kagera | Bukoba | dc | -
Kagera | Biharamulo | dc | -
Kagera | Karagwe | dc | -
Kagera | Kyerwa | dc | -
Kagera | Missenyi | dc | -
Kagera | Muleba | dc | -
Kagera | Ngara | dc | -
Katavi | Mpanda | mc | -
Katavi | Mpanda | dc | -
Katavi | Mlele | dc | -
Katavi | Mpimbwe | dc | 2015-07-01
Katavi | Nsimbo | dc | -
Katavi | Tanganyika | dc | 2016-07-01
Kigoma | Kigoma-Ujiji | mc | -
Kigoma | Kigoma | dc | -
Kigoma | Buhigwe | dc | -
Kigoma | Kakonko | dc | -
Kigoma | Kasulu | dc | -
Kigoma | Kasulu | tc | -
Kigoma | Kibondo | dc | -
Kigoma | Uvinza | dc | -
Kilimanjaro | Moshi | mc | -
Kilimanjaro | Moshi | dc | -
Kilimanjaro | Hai | dc | -
Kilimanjaro | Rombo | dc | -
Kilimanjaro | Mwanga | dc | -
Kilimanjaro | Same | dc | -
Kilimanjaro | Siha | dc | -
Lindi | Lindi | mc | -
Lindi | Lindi | dc | -
Lindi | Kilwa | dc | -
Lindi | Liwale | dc | -
Lindi | Nachingwea | dc | -
Lindi | Ruangwa | dc | -
Manyara | Babati | tc | -
Manyara | Babati | dc | -
Manyara | Hanang | dc | -
Manyara | Kiteto | dc | -
Manyara | Mbulu | dc | -
Manyara | Mbulu | tc | -
Manyara | Simanjiro | dc | -
Mara | Musoma | mc | -
Mara | Musoma | dc | -
Mara | Bunda | dc | -
Mara | Bunda | tc | -
Mara | Butiama | dc | -
Mara | Rorya | dc | -
Mara | Serengeti | dc | -
Mara | Tarime | dc | -
Mara | Tarime | tc | -
Mbeya | Mbeya | cc | -
Mbeya | Mbeya | dc | -
Mbeya | Busokelo | dc | -
Mbeya | Chunya | dc | -
Mbeya | Kyela | dc | -
Mbeya | Mbarali | dc | -
Mbeya | Rungwe | dc | -
Morogoro | Morogoro | mc | -
Morogoro | Morogoro | dc | -
Morogoro | Gairo | dc | -
Morogoro | Kilombero | dc | -
Morogoro | Ifakara | tc | 2015-07-01
Morogoro | Kilosa | dc | -
Morogoro | Malinyi | dc | 2015-07-01
Morogoro | Mvomero | dc | -
Morogoro | Ulanga | dc | -
Mtwara | Mtwara-Mikindani | mc | -
Mtwara | Mtwara | dc | -
Mtwara | Masasi | dc | -
Mtwara | Masasi | tc | -
Mtwara | Nanyumbu | dc | -
Mtwara | Newala | dc | -
Mtwara | Newala | tc | -
Mtwara | Tandahimba | dc | -
Mtwara | Nanyamba | tc | 2015-07-01
Mwanza | Mwanza | cc | -
Mwanza | Ilemela | mc | -
Mwanza | Buchosa | dc | 2015-07-01
Mwanza | Kwimba | dc | -
Mwanza | Magu | dc | -
Mwanza | Misungwi | dc | -
Mwanza | Sengerema | dc | -
Mwanza | Ukerewe | dc | -
Njombe | Njombe | tc | -
Njombe | Njombe | dc | -
Njombe | Ludewa | dc | -
Njombe | Makete | dc | -
Njombe | Makambako | tc | -
Njombe | Wanging'ombe | dc | -
Pwani | Kibaha | tc | -
Pwani | Kibaha | dc | -
Pwani | Bagamoyo | dc | -
Pwani | Kisarawe | dc | -
Pwani | Mafia | dc | -
Pwani | Mkuranga | dc | -
Pwani | Rufiji | dc | -
Pwani | Kibiti | dc | 2016-07-01
Rukwa | Sumbawanga | mc | -
Rukwa | Sumbawanga | dc | -
Rukwa | Kalambo | dc | -
Rukwa | Nkasi | dc | -
Ruvuma | Songea | mc | -
Ruvuma | Songea | dc | -
Ruvuma | Mbinga | dc | -
Ruvuma | Mbinga | tc | -
Ruvuma | Namtumbo | dc | -
Ruvuma | Nyasa | dc | -
Ruvuma | Tunduru | dc | -
Ruvuma | Madaba | dc | 2015-07-01
Shinyanga | Shinyanga | mc | -
Shinyanga | Shinyanga | dc | -
Shinyanga | Kahama | tc | -
Shinyanga | Msalala | dc | -
Shinyanga | Ushetu | dc | -
Shinyanga | Kishapu | dc | -
Simiyu | Bariadi | dc | -
Simiyu | Bariadi | tc | -
Simiyu | Busega | dc | -
Simiyu | Itilima | dc | -
Simiyu | Maswa | dc | -
Simiyu | Meatu | dc | -
Singida | Singida | mc | -
Singida | Singida | dc | -
Singida | Ikungi | dc | -
Singida | Iramba | dc | -
Singida | Manyoni | dc | -
Singida | Mkalama | dc | -
Singida | Itigi | dc | 2015-07-01
Songwe | Mbozi | dc | -
Songwe | Momba | dc | -
Songwe | Ileje | dc | -
Songwe | Tunduma | tc | -
Songwe | Songwe | dc | 2016-07-01
Tabora | Tabora | mc | -
Tabora | Igunga | dc | -
Tabora | Kaliua | dc | -
Tabora | Nzega | dc | -
Tabora | Nzega | tc | -
Tabora | Sikonge | dc | -
Tabora | Urambo | dc | -
Tabora | Uyui | dc | -
Tanga | Tanga | cc | -
Tanga | Handeni | dc | -
Tanga | Handeni | tc | -
Tanga | Kilindi | dc | -
Tanga | Korogwe | dc | -
Tanga | Korogwe | tc | -
Tanga | Lushoto | dc | -
Tanga | Bumbuli | dc | -
Tanga | Mkinga | dc | -
Tanga | Muheza | dc | -
Tanga | Pangani | dc | -
"""
)
LGA_KINDS = {
    "dc": ("Halmashauri ya Wilaya ya {}", "{} District Council"),
    "mc": ("Halmashauri ya Manispaa ya {}", "{} Municipal Council"),
    "tc": ("Halmashauri ya Mji wa {}", "{} Town Council"),
    "cc": ("Halmashauri ya Jiji la {}", "{} City Council"),
}
# Regions formed in 2012 (Geita, Katavi, Njombe, Simiyu) and 2016 (Songwe): their secretariats.
RS_ESTABLISHED = {
    "Geita": date(2012, 3, 1),
    "Katavi": date(2012, 3, 1),
    "Njombe": date(2012, 3, 1),
    "Simiyu": date(2012, 3, 1),
    "Songwe": date(2016, 1, 29),
}

FIRST_NAMES = [
    "Amina",
    "Baraka",
    "Juma",
    "Neema",
    "Rehema",
    "Hamisi",
    "Zawadi",
    "Upendo",
    "Faraja",
    "Salma",
    "Mwanaisha",
    "Joseph",
    "Emmanuel",
    "Grace",
    "Elia",
    "Fatuma",
    "Halima",
    "Idd",
    "Khamis",
    "Lucy",
    "Mariam",
    "Mussa",
    "Omari",
    "Pendo",
    "Rashidi",
    "Said",
    "Tumaini",
    "Winfrida",
    "Yusuf",
    "Zuhura",
    "Agnes",
    "Daudi",
    "Esther",
    "Godfrey",
    "Happiness",
    "Imani",
    "Janeth",
    "Kassim",
    "Lilian",
    "Michael",
    "Nasra",
    "Peter",
    "Rose",
    "Shabani",
    "Tatu",
]
SURNAMES = [
    "Mwakyusa",
    "Kimaro",
    "Massawe",
    "Mrema",
    "Mushi",
    "Shirima",
    "Lyimo",
    "Swai",
    "Mwakalinga",
    "Kapinga",
    "Komba",
    "Ngowi",
    "Temba",
    "Mollel",
    "Laizer",
    "Kessy",
    "Msuya",
    "Mbwambo",
    "Magesa",
    "Chacha",
    "Mwita",
    "Marwa",
    "Mfinanga",
    "Kombo",
    "Haji",
    "Bakari",
    "Rajabu",
    "Mapunda",
    "Nchimbi",
    "Mwasomola",
    "Mlay",
    "Minja",
    "Urio",
    "Sanga",
    "Mgaya",
    "Kitwana",
    "Mohamed",
    "Nyirenda",
    "Ndunguru",
    "Kisanga",
]
FOCAL_POSITIONS = [
    "Afisa TEHAMA",
    "Afisa TEHAMA Mwandamizi",
    "Mkuu wa Kitengo cha TEHAMA",
    "Mchambuzi wa Mifumo ya Kompyuta",
    "Afisa Mawasiliano Serikalini",
]

# code, Swahili, English, kind, offered from; the resources the Agency reported (DEMO-FACTS.md).
SHARED_RESOURCES: list[tuple[str, str, str, str, date]] = [
    (
        "govnet",
        "Mtandao wa Mawasiliano Serikalini (GovNet)",
        "Government Communication Network (GovNet)",
        SharedResource.Kind.NETWORK,
        date(2012, 1, 16),
    ),
    (
        "barua-pepe",
        "Mfumo wa Barua Pepe Serikalini",
        "Government Mailing System",
        SharedResource.Kind.MAIL,
        date(2012, 6, 1),
    ),
    (
        "kituo-data",
        "Huduma ya Kuhifadhi Mifumo katika Kituo cha Data",
        "Data-centre hosting",
        SharedResource.Kind.HOSTING,
        date(2013, 3, 1),
    ),
    (
        "mgov",
        "Jukwaa la Huduma za Serikali kwa Simu za Mkononi (mGov)",
        "Government mobile platform (mGov)",
        SharedResource.Kind.MOBILE,
        date(2013, 7, 1),
    ),
    (
        "gepg",
        "Mfumo wa Serikali wa Kielektroniki wa Ukusanyaji wa Mapato (GePG)",
        "Government e-Payment Gateway (GePG)",
        SharedResource.Kind.PAYMENT,
        date(2015, 7, 1),
    ),
    (
        "govesb",
        "Mfumo wa Ubadilishanaji Taarifa Serikalini (GovESB)",
        "Government Enterprise Service Bus (GovESB)",
        SharedResource.Kind.INTEROPERABILITY,
        date(2016, 7, 1),
    ),
]
# Subscribers over time, as (date, cumulative count) anchors: mail reached about 210 institutions
# in 2015, GovNet 72 MDAs, mGov 117 institutions (DEMO-FACTS.md). Who may subscribe: "mda" or "all".
SUBSCRIPTION_CURVES: dict[str, tuple[str, list[tuple[date, int]]]] = {
    "govnet": (
        "mda",
        [
            (date(2012, 1, 16), 0),
            (date(2013, 6, 30), 22),
            (date(2014, 6, 30), 45),
            (date(2015, 12, 31), 72),
            (date(2017, 6, 30), 96),
        ],
    ),
    "barua-pepe": (
        "all",
        [
            (date(2012, 6, 1), 0),
            (date(2013, 6, 30), 64),
            (date(2014, 6, 30), 132),
            (date(2015, 12, 31), 210),
            (date(2017, 6, 30), 292),
        ],
    ),
    "kituo-data": (
        "mda",
        [(date(2013, 3, 1), 0), (date(2014, 6, 30), 24), (date(2015, 6, 30), 52), (date(2017, 6, 30), 104)],
    ),
    "mgov": (
        "all",
        [
            (date(2013, 7, 1), 0),
            (date(2014, 6, 30), 31),
            (date(2015, 6, 30), 66),
            (date(2016, 6, 30), 96),
            (date(2017, 6, 30), 117),
        ],
    ),
    "gepg": ("all", [(date(2015, 7, 1), 0), (date(2016, 6, 30), 58), (date(2017, 6, 30), 176)]),
    "govesb": ("mda", [(date(2016, 7, 1), 0), (date(2017, 6, 30), 34)]),
}

# code, version, Swahili, English, issued on; one or more issued in every fiscal year of the plan.
STANDARDS: list[tuple[str, str, str, str, date]] = [
    (
        "dira-usanifu",
        "1.0",
        "Dira ya Usanifu wa Serikali Mtandao",
        "e-Government Architecture Vision",
        date(2013, 3, 15),
    ),
    ("ushirikiano", "1.0", "Kiwango cha Ushirikiano wa Mifumo", "Interoperability Standard", date(2013, 5, 20)),
    ("usanifu-biashara", "1.0", "Kiwango cha Usanifu wa Biashara", "Business Architecture Standard", date(2013, 9, 2)),
    ("usalama", "1.0", "Kiwango cha Usanifu wa Usalama", "Security Architecture Standard", date(2013, 11, 1)),
    (
        "usanifu-mifumo",
        "1.0",
        "Kiwango cha Usanifu wa Mifumo Tumizi",
        "Application Architecture Standard",
        date(2014, 1, 20),
    ),
    (
        "usanifu-taarifa",
        "1.0",
        "Kiwango cha Usanifu wa Taarifa",
        "Information Architecture Standard",
        date(2014, 4, 15),
    ),
    (
        "usanifu-muunganiko",
        "1.0",
        "Kiwango cha Usanifu wa Muunganiko",
        "Integration Architecture Standard",
        date(2014, 10, 1),
    ),
    (
        "usanifu-miundombinu",
        "1.0",
        "Kiwango cha Usanifu wa Miundombinu",
        "Infrastructure Architecture Standard",
        date(2015, 1, 15),
    ),
    ("ushirikiano", "1.1", "Kiwango cha Ushirikiano wa Mifumo", "Interoperability Standard", date(2015, 2, 10)),
    (
        "mchakato-utawala",
        "1.0",
        "Kiwango cha Michakato na Utawala wa TEHAMA",
        "Process and Governance Standard",
        date(2015, 9, 10),
    ),
    (
        "dira-usanifu",
        "2.0",
        "Dira ya Usanifu wa Serikali Mtandao",
        "e-Government Architecture Vision",
        date(2016, 4, 1),
    ),
    ("usalama", "2.0", "Kiwango cha Usanifu wa Usalama", "Security Architecture Standard", date(2016, 9, 1)),
]
# Mean compliance score per fiscal year: rising towards and past the pass mark of 70.
ASSESSMENT_MEANS = [58.0, 63.0, 67.0, 71.0, 75.0]
ASSESSMENTS_PER_YEAR = [55, 95, 135, 165, 195]

# Swahili, English, life event, host path; what public institutions commonly put online.
SPECIFIC_ESERVICES: dict[str, list[tuple[str, str, str, str]]] = {
    "tra": [
        ("Usajili wa Namba ya Mlipakodi (TIN)", "Taxpayer Identification Number (TIN) registration", "tax", "tin"),
        ("Malipo ya kodi kwa njia ya kielektroniki", "Electronic tax payment", "tax", "malipo"),
        ("Usajili wa magari", "Motor vehicle registration", "transport", "magari"),
        ("Leseni ya udereva", "Driving licence", "transport", "leseni-udereva"),
    ],
    "rita": [
        ("Usajili wa vizazi", "Birth registration", "identity", "vizazi"),
        ("Cheti cha kuzaliwa", "Birth certificate", "identity", "cheti"),
        ("Usajili wa vifo", "Death registration", "identity", "vifo"),
    ],
    "brela": [
        ("Usajili wa kampuni", "Company registration", "business", "kampuni"),
        ("Usajili wa majina ya biashara", "Business name registration", "business", "majina"),
        ("Leseni za biashara (Kundi A)", "Business licences (category A)", "business", "leseni"),
    ],
    "uhamiaji": [
        ("Maombi ya pasipoti", "Passport application", "travel", "pasipoti"),
        ("Viza ya kielektroniki", "Electronic visa", "travel", "viza"),
        ("Kibali cha ukaazi", "Residence permit", "travel", "ukaazi"),
    ],
    "heslb": [("Maombi ya mikopo ya elimu ya juu", "Higher-education loan application", "education", "mikopo")],
    "necta": [("Matokeo ya mitihani", "Examination results", "education", "matokeo")],
    "tcu": [("Udahili wa pamoja wa vyuo vikuu", "Central university admission", "education", "udahili")],
    "ajira": [("Maombi ya kazi Serikalini", "Government job applications", "employment", "ajira")],
    "ofisi-wm-kazi": [("Kibali cha kazi kwa wageni", "Work permit for foreigners", "employment", "kibali-kazi")],
    "nssf": [("Taarifa za michango ya wanachama", "Member contribution statements", "employment", "michango")],
    "pspf": [("Taarifa za michango ya wanachama", "Member contribution statements", "employment", "michango")],
    "nhif": [("Uhakiki wa kadi ya bima ya afya", "Health-insurance card verification", "health", "uhakiki")],
    "wizara-ardhi": [
        ("Malipo ya kodi ya pango la ardhi", "Land rent payment", "land", "kodi-ardhi"),
        ("Maombi ya hati miliki", "Title deed application", "land", "hati"),
    ],
    "tanesco": [
        ("Malipo ya umeme (LUKU)", "Prepaid electricity payment (LUKU)", "other", "luku"),
        ("Maombi ya kuunganishiwa umeme", "Electricity connection application", "land", "kuunganisha"),
    ],
    "mahakama": [("Taarifa za mashauri", "Case information", "justice", "mashauri")],
    "polisi": [("Taarifa za makosa ya usalama barabarani", "Traffic offence information", "transport", "makosa")],
    "wizara-kilimo": [
        ("Bei za mazao sokoni", "Crop market prices", "agriculture", "bei"),
        ("Vibali vya kusafirisha mazao", "Crop export permits", "agriculture", "vibali"),
    ],
    "tic": [("Usajili wa miradi ya uwekezaji", "Investment project registration", "business", "miradi")],
    "tpa": [("Huduma za bandari mtandaoni", "Online port services", "transport", "bandari")],
    "ofisi-rais-utumishi": [
        ("Taarifa za watumishi wa umma", "Public servants' records", "government", "watumishi"),
        ("Mfumo wa tathmini ya utendaji kazi", "Performance appraisal system", "government", "opras"),
    ],
    "wizara-fedha": [("Taarifa za bajeti kwa wananchi", "Citizens' budget information", "government", "bajeti")],
    "nida": [("Usajili wa vitambulisho vya taifa", "National ID registration", "identity", "usajili")],
    "tfda": [("Usajili wa bidhaa za chakula na dawa", "Food and drug product registration", "health", "usajili")],
    "tcra": [("Leseni za mawasiliano", "Communications licences", "business", "leseni")],
    "sumatra": [("Leseni za usafirishaji", "Transport licences", "transport", "leseni")],
    "osha": [("Usajili wa maeneo ya kazi", "Workplace registration", "employment", "usajili")],
    "gpsa": [("Ununuzi wa pamoja Serikalini", "Government common-use procurement", "government", "ununuzi")],
}
GENERIC_ESERVICES: list[tuple[str, str, str, str]] = [
    ("Huduma kwa wateja mtandaoni", "Online customer service", "other", "wateja"),
    ("Maombi ya vibali", "Permit applications", "business", "vibali"),
    ("Malipo ya ada na tozo", "Fees and charges payment", "tax", "malipo"),
    ("Mfumo wa kupokea malalamiko", "Complaints handling", "other", "malalamiko"),
    ("Huduma ya taarifa kwa SMS", "SMS information service", "other", "sms"),
    ("Maombi ya mafunzo", "Training applications", "education", "mafunzo"),
]
LGA_ESERVICES: list[tuple[str, str, str, str]] = [
    ("Ukusanyaji wa mapato ya Halmashauri", "Council revenue collection", "tax", "mapato"),
    ("Leseni za biashara za Halmashauri", "Council business licences", "business", "leseni"),
    ("Vibali vya ujenzi", "Building permits", "land", "vibali-ujenzi"),
]

INITIATIVE_TITLES = [
    "Mfumo wa Usimamizi wa Taarifa za Wateja",
    "Uboreshaji wa Tovuti ya Taasisi",
    "Mfumo wa Kielektroniki wa Ukusanyaji wa Mapato",
    "Mfumo wa Usimamizi wa Nyaraka (e-Office)",
    "Mtandao wa Ndani na Kuunganishwa na GovNet",
    "Mfumo wa Usimamizi wa Rasilimali Watu",
    "Mpango wa Kurejesha Huduma baada ya Majanga",
    "Mkakati wa TEHAMA wa Taasisi",
    "Huduma za Malipo kwa Simu za Mkononi",
    "Kituo cha Huduma kwa Wateja",
    "Mfumo wa Leseni Mtandaoni",
    "Usanifu wa Kitaasisi (Enterprise Architecture)",
    "Mfumo wa Ufuatiliaji na Tathmini",
    "Kuhamishia Mifumo katika Kituo cha Data cha Serikali",
]

# Complaint subjects by category; a few recur, which is what K18 counts.
COMPLAINT_SUBJECTS: dict[str, list[str]] = {
    Complaint.Category.AVAILABILITY: [
        "Tovuti haipatikani",
        "Barua pepe ya Serikali haifanyi kazi",
        "Mtandao wa GovNet umekatika",
        "Mfumo wa malipo haupatikani",
    ],
    Complaint.Category.DELAY: ["Kuchelewa kujibiwa", "Kuchelewa kwa msaada wa kiufundi", "Huduma kuchukua muda mrefu"],
    Complaint.Category.QUALITY: ["Huduma duni ya dawati la msaada", "Mfumo unakwama mara kwa mara"],
    Complaint.Category.CONDUCT: ["Lugha isiyo ya staha", "Kutopokelewa simu"],
    Complaint.Category.FEES: ["Malipo yamekatwa mara mbili", "Ada kubwa ya huduma"],
    Complaint.Category.INFORMATION: ["Taarifa zisizo sahihi tovutini", "Taarifa hazijasasishwa"],
    Complaint.Category.OTHER: ["Ushauri kuhusu huduma", "Malalamiko mengineyo"],
}
COMPLAINT_CATEGORY_WEIGHTS = [
    (Complaint.Category.AVAILABILITY, 30),
    (Complaint.Category.DELAY, 22),
    (Complaint.Category.QUALITY, 16),
    (Complaint.Category.CONDUCT, 6),
    (Complaint.Category.FEES, 10),
    (Complaint.Category.INFORMATION, 10),
    (Complaint.Category.OTHER, 6),
]
COMPLAINT_CHANNEL_WEIGHTS = [
    (Complaint.Channel.WEB, 40),
    (Complaint.Channel.EMAIL, 20),
    (Complaint.Channel.PHONE, 18),
    (Complaint.Channel.SMS, 10),
    (Complaint.Channel.LETTER, 5),
    (Complaint.Channel.IN_PERSON, 7),
]
REQUEST_SUBJECTS = [
    "Taarifa za bajeti ya mwaka",
    "Takwimu za watumishi",
    "Mikataba ya ununuzi",
    "Ripoti ya ukaguzi wa hesabu",
    "Mpango mkakati wa taasisi",
    "Takwimu za huduma zinazotolewa mtandaoni",
    "Vigezo vya kupata leseni",
    "Orodha ya miradi ya maendeleo",
    "Taarifa za ajira mpya",
    "Ada na tozo zinazotozwa",
]

# Survey kind, code stem, Swahili, English, opens (month, day), closes, questions (Swahili, English).
SURVEYS: list[tuple[str, str, str, str, tuple[int, int], tuple[int, int], list[tuple[str, str]]]] = [
    (
        Survey.Kind.INSTITUTION_SATISFACTION,
        "ridhaa-taasisi",
        "Utafiti wa kuridhika kwa taasisi na huduma za Wakala",
        "Institutions' satisfaction with the Agency's services",
        (4, 1),
        (5, 31),
        [
            ("Huduma za Wakala zinakidhi mahitaji ya taasisi yetu", "The Agency's services meet our needs"),
            ("Wakala hujibu maombi yetu kwa wakati", "The Agency responds to our requests on time"),
            ("Watumishi wa Wakala wana ujuzi wa kutosha", "The Agency's staff are knowledgeable"),
            ("Mifumo ya pamoja inapatikana tunapoihitaji", "Shared systems are available when we need them"),
            ("Tungependekeza huduma za Wakala kwa taasisi nyingine", "We would recommend the Agency to others"),
        ],
    ),
    (
        Survey.Kind.STAKEHOLDER_AWARENESS,
        "uelewa-wadau",
        "Utafiti wa uelewa wa wadau kuhusu Serikali Mtandao",
        "Stakeholders' awareness of e-Government",
        (2, 1),
        (3, 15),
        [
            ("Ninaifahamu Wakala ya Serikali Mtandao", "I know the e-Government Agency"),
            ("Ninajua huduma za Serikali zinazopatikana mtandaoni", "I know which government services are online"),
            ("Ninajua jinsi ya kutumia tovuti kuu ya Serikali", "I know how to use the government portal"),
            ("Ninajua huduma za Serikali kwa simu za mkononi", "I know the government's mobile services"),
        ],
    ),
    (
        Survey.Kind.STAFF_SATISFACTION,
        "ridhaa-watumishi",
        "Utafiti wa kuridhika kwa watumishi wa Wakala",
        "Agency staff satisfaction",
        (3, 1),
        (3, 31),
        [
            ("Ninaridhika na mazingira yangu ya kazi", "I am satisfied with my working environment"),
            ("Ninapata vitendea kazi vya kutosha", "I have the tools I need"),
            ("Ninapata fursa za mafunzo", "I have opportunities for training"),
            ("Mchango wangu unatambuliwa", "My contribution is recognised"),
            ("Mawasiliano ndani ya Wakala ni mazuri", "Communication within the Agency is good"),
            ("Ningependekeza Wakala kama mahali pazuri pa kazi", "I would recommend the Agency as an employer"),
        ],
    ),
]
# Responses per year and the mean Likert answer per fiscal year, rising.
SURVEY_RESPONSES: dict[str, tuple[list[int], list[float]]] = {
    Survey.Kind.INSTITUTION_SATISFACTION: ([70, 95, 120, 150, 175], [3.55, 3.7, 3.85, 4.0, 4.15]),
    Survey.Kind.STAKEHOLDER_AWARENESS: ([140, 170, 210, 250, 300], [2.8, 3.05, 3.3, 3.5, 3.7]),
    Survey.Kind.STAFF_SATISFACTION: ([62, 70, 80, 92, 105], [3.3, 3.45, 3.6, 3.75, 3.9]),
}

# Org unit code → positions (title, approved posts in 2012/13). Units outside their validity are skipped.
POSITIONS: dict[str, list[tuple[str, int]]] = {
    "huduma": [("Mkurugenzi", 1), ("Katibu Muhtasi", 2)],
    "huduma-ushauri": [("Meneja", 1), ("Afisa TEHAMA Mwandamizi", 4), ("Afisa TEHAMA", 8)],
    "huduma-ushauri-usalama": [("Mtaalamu wa Usalama wa TEHAMA", 4)],
    "huduma-ushauri-dawati": [("Afisa Dawati la Msaada", 6)],
    "huduma-ushauri-dawati247": [("Afisa Dawati la Msaada", 10)],
    "huduma-mtandao": [("Meneja", 1), ("Mchambuzi wa Mifumo", 6), ("Mtengenezaji wa Programu", 8)],
    "huduma-mtandao-tovuti": [("Msimamizi wa Tovuti", 4)],
    "huduma-mtandao-simu": [("Mtengenezaji wa Programu za Simu", 4)],
    "miundombinu": [("Mkurugenzi", 1)],
    "miundombinu-govnet": [("Mhandisi wa Mitandao", 8), ("Fundi Sanifu TEHAMA", 6)],
    "miundombinu-kituo": [("Msimamizi wa Kituo cha Data", 4), ("Msimamizi wa Mifumo", 6)],
    "viwango": [("Mkurugenzi", 1)],
    "viwango-miongozo": [("Afisa Viwango", 5)],
    "viwango-tathmini": [("Afisa Ufuatiliaji na Tathmini", 4)],
    "utawala": [("Mkurugenzi", 1)],
    "utawala-rasilimali": [("Afisa Utumishi", 4), ("Msaidizi wa Ofisi", 6)],
    "utawala-fedha": [("Mhasibu", 5), ("Afisa Ugavi", 3)],
    "utawala-malalamiko": [("Afisa Huduma kwa Wateja", 4)],
}

# The Agency's budget, TZS, per fiscal year, and the share spent on shared resources (K07).
BUDGET_TOTALS = [14_200_000_000, 16_800_000_000, 19_500_000_000, 23_100_000_000, 27_400_000_000]
SHARED_RESOURCE_SHARE = [0.12, 0.16, 0.20, 0.24, 0.28]
# The Treasury's subvention as a share of the budget falls as the Agency earns more itself (K15).
SUBVENTION_SHARE = [0.85, 0.8, 0.75, 0.7, 0.65]
# code, category, org unit, description, share of the year's non-shared-resource budget
BUDGET_LINES: list[tuple[str, str, str, str, float]] = [
    ("PE-01", "personnel", "huduma", "Mishahara – Idara ya Huduma za Serikali Mtandao", 0.14),
    ("PE-02", "personnel", "miundombinu", "Mishahara – Idara ya Miundombinu", 0.10),
    ("PE-03", "personnel", "viwango", "Mishahara – Idara ya Viwango", 0.06),
    ("PE-04", "personnel", "utawala", "Mishahara – Idara ya Utawala", 0.08),
    ("OC-01", "operations", "huduma", "Matumizi mengineyo – huduma kwa taasisi", 0.12),
    ("OC-02", "operations", "miundombinu", "Matumizi mengineyo – uendeshaji wa mitandao", 0.09),
    ("OC-03", "operations", "viwango", "Matumizi mengineyo – ukaguzi wa uzingatiaji", 0.05),
    ("OC-04", "operations", "utawala", "Matumizi mengineyo – utawala", 0.08),
    ("DEV-01", "development", "huduma-mtandao", "Mradi wa tovuti kuu ya Serikali", 0.10),
    ("DEV-02", "development", "huduma-mtandao-simu", "Mradi wa huduma kwa simu za mkononi", 0.07),
    ("DEV-03", "development", "viwango-miongozo", "Mradi wa viwango vya Serikali Mtandao", 0.05),
    ("OTH-01", "other", "utawala-fedha", "Dharura na mengineyo", 0.06),
]
SHARED_RESOURCE_LINES = [
    ("SR-01", "miundombinu-govnet", "Upanuzi wa mtandao wa GovNet", 0.45),
    ("SR-02", "miundombinu-kituo", "Kituo cha data cha Serikali", 0.35),
    ("SR-03", "huduma-mtandao", "Mifumo ya pamoja (barua pepe, mGov, GePG)", 0.20),
]

# Engagement kind → services it covers, with weights.
ENGAGEMENT_KINDS = [
    (Engagement.Kind.ADVISORY, 25),
    (Engagement.Kind.TECHNICAL_SUPPORT, 45),
    (Engagement.Kind.SUPPORT_VISIT, 15),
    (Engagement.Kind.TRAINING, 15),
]
ENGAGEMENT_SERVICES: dict[str, list[tuple[str, float]]] = {
    Engagement.Kind.ADVISORY: [
        (Engagement.Service.STRATEGY, 35),
        (Engagement.Service.ARCHITECTURE, 25),
        (Engagement.Service.PROJECT_REVIEW, 40),
    ],
    Engagement.Kind.TECHNICAL_SUPPORT: [
        (Engagement.Service.HELP_DESK, 50),
        (Engagement.Service.SYSTEMS_REVIEW, 20),
        (Engagement.Service.SECURITY, 18),
        (Engagement.Service.DISASTER_RECOVERY, 12),
    ],
    Engagement.Kind.SUPPORT_VISIT: [(Engagement.Service.SYSTEMS_REVIEW, 60), (Engagement.Service.OTHER, 40)],
    Engagement.Kind.TRAINING: [(Engagement.Service.OTHER, 100)],
}
ENGAGEMENTS_PER_YEAR = [360, 480, 600, 720, 840]


@dataclass
class _Inst:
    code: str
    category: str
    region: str | None
    established_on: date | None = None
    dissolved_on: date | None = None
    name_sw: str = ""
    name_en: str = ""
    parent: str | None = None
    obj: Institution | None = field(default=None, repr=False)

    def active_on(self, day: date) -> bool:
        return (self.established_on is None or self.established_on <= day) and (
            self.dissolved_on is None or self.dissolved_on > day
        )

    @property
    def host(self) -> str:
        return self.code.removeprefix(PREFIX)

    @property
    def is_mda(self) -> bool:
        return self.category not in (Institution.Category.LGA, Institution.Category.REGIONAL_SECRETARIAT)


def institution_plan() -> list[_Inst]:
    """The demo institutions in a fixed order, parents first."""
    out: list[_Inst] = []
    for table, category in (
        (MINISTRIES, Institution.Category.MINISTRY),
        (INDEPENDENT_DEPARTMENTS, Institution.Category.INDEPENDENT_DEPARTMENT),
        (AGENCIES, Institution.Category.AGENCY),
        (CORPORATIONS, Institution.Category.PUBLIC_CORPORATION),
    ):
        for code, region, parent, established, dissolved, sw, en in table:
            out.append(
                _Inst(
                    PREFIX + code,
                    category,
                    region,
                    _day(established),
                    _day(dissolved),
                    sw,
                    en,
                    None if parent == "-" else PREFIX + parent,
                )
            )
    for place, region in FOLK_COLLEGES:
        out.append(
            _Inst(
                f"{PREFIX}fdc-{slugify(place)}",
                Institution.Category.AGENCY,
                region,
                name_sw=f"Chuo cha Maendeleo ya Wananchi {place}",
                name_en=f"{place} Folk Development College",
                parent=PREFIX + "wizara-jamii",
            )
        )
    mainland = [name for name, zone in demo.REGIONS if zone == "mainland"]
    for region in mainland:
        out.append(
            _Inst(
                f"{PREFIX}rs-{slugify(region)}",
                Institution.Category.REGIONAL_SECRETARIAT,
                region,
                RS_ESTABLISHED.get(region),
                name_sw=f"Sekretarieti ya Mkoa wa {region}",
                name_en=f"{region} Regional Secretariat",
                parent=PREFIX + "ofisi-rais-tamisemi",
            )
        )
    for region, name, kind, established in LGAS:
        sw, en = LGA_KINDS[kind]
        out.append(
            _Inst(
                f"{PREFIX}lga-{slugify(name)}-{kind}",
                Institution.Category.LGA,
                region,
                _day(established),
                name_sw=sw.format(name),
                name_en=en.format(name),
                parent=f"{PREFIX}rs-{slugify(region)}",
            )
        )
    return out


class _Loader:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.counts: dict[str, int] = {}
        self.insts: list[_Inst] = []
        self.by_code: dict[str, _Inst] = {}
        self.eservices: list[EService] = []
        self.units: dict[str, OrgUnit] = {}
        self.resources: dict[str, SharedResource] = {}

    def save(self, model: type[models.Model], objs: list[Any]) -> list[Any]:
        self.counts[model._meta.label] = self.counts.get(model._meta.label, 0) + len(objs)
        return model._default_manager.bulk_create(objs, batch_size=2000)

    # --- the registry -------------------------------------------------------------------------
    def institutions(self) -> None:
        regions = {r.name: r for r in Region.objects.all()}
        plan = institution_plan()
        existing = {i.code: i for i in Institution.objects.filter(code__in=[p.code for p in plan])}
        parents = {p.code: p.parent for p in plan}

        def depth(code: str | None) -> int:
            return 0 if parents.get(code or "") is None else 1 + depth(parents[code or ""])

        # One pass per level, so that each parent has its id before its children are written.
        for level in range(max(depth(p.code) for p in plan) + 1):
            batch = []
            for p in plan:
                if depth(p.code) != level:
                    continue
                if p.code in existing:
                    p.obj = existing[p.code]
                    continue
                p.obj = Institution(
                    code=p.code,
                    name_sw=p.name_sw,
                    name_en=p.name_en,
                    category=p.category,
                    region=regions.get(p.region) if p.region else None,
                    parent=existing.get(p.parent) if p.parent else None,
                    established_on=p.established_on,
                    dissolved_on=p.dissolved_on,
                    illustrative=True,
                )
                batch.append(p.obj)
            self.save(Institution, batch)
            existing.update({p.code: p.obj for p in plan if p.obj is not None})
        self.insts = plan
        self.by_code = {p.code: p for p in plan}

    def focal_persons(self) -> None:
        rng = self.rng
        objs = []
        for p in self.insts:
            if rng.random() < 0.08:
                continue  # a few institutions never named a focal person
            people = [True] + ([False] if rng.random() < 0.15 else [])  # some replaced an earlier one
            used: set[str] = set()
            for active in people:
                first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
                email = f"{first}.{last}@{p.host}.example.go.tz".lower()
                if email in used:
                    continue
                used.add(email)
                objs.append(
                    FocalPerson(
                        institution=p.obj,
                        name=f"{first} {last}",
                        position=rng.choice(FOCAL_POSITIONS),
                        email=email,
                        active=active,
                    )
                )
        self.save(FocalPerson, objs)

    def shared_resources(self) -> None:
        self.resources = {
            code: SharedResource(code=PREFIX + code, name_sw=sw, name_en=en, kind=kind, offered_from=offered)
            for code, sw, en, kind, offered in SHARED_RESOURCES
        }
        self.save(SharedResource, list(self.resources.values()))

    def subscriptions(self) -> None:
        rng = self.rng
        objs = []
        rank: dict[str, float] = {
            Institution.Category.MINISTRY: 0.0,
            Institution.Category.INDEPENDENT_DEPARTMENT: 0.4,
            Institution.Category.AGENCY: 0.8,
            Institution.Category.PUBLIC_CORPORATION: 0.6,
            Institution.Category.REGIONAL_SECRETARIAT: 0.7,
            Institution.Category.LGA: 1.2,
        }
        for code, (who, curve) in SUBSCRIPTION_CURVES.items():
            pool = [p for p in self.insts if who == "all" or p.is_mda]
            # Ministries and large agencies join first: shuffle, then sort by a noisy category rank.
            keyed = sorted(pool, key=lambda p: rank[p.category] + rng.random())
            total = curve[-1][1]
            chosen = 0
            for p in keyed:
                if chosen >= total:
                    break
                start = _curve_day(curve, chosen + rng.random())
                if not p.active_on(start):
                    if p.established_on and p.established_on > start:
                        start = p.established_on + timedelta(days=rng.randint(20, 120))
                        if start > PLAN_END:
                            continue
                    else:
                        continue
                ended = p.dissolved_on
                if ended is None and rng.random() < 0.03:
                    ended = random_day(rng, start + timedelta(days=90), PLAN_END + timedelta(days=200))
                    ended = None if ended > PLAN_END else ended
                objs.append(
                    ResourceSubscription(
                        institution=p.obj, resource=self.resources[code], started_on=start, ended_on=ended
                    )
                )
                chosen += 1
        self.save(ResourceSubscription, objs)

    def workforce(self) -> None:
        rng = self.rng
        base: dict[str, tuple[int, int]] = {
            Institution.Category.MINISTRY: (12, 40),
            Institution.Category.INDEPENDENT_DEPARTMENT: (4, 20),
            Institution.Category.AGENCY: (2, 18),
            Institution.Category.PUBLIC_CORPORATION: (6, 50),
            Institution.Category.REGIONAL_SECRETARIAT: (2, 5),
            Institution.Category.LGA: (1, 6),
        }
        objs = []
        for p in self.insts:
            staff = float(rng.randint(*base[p.category]))
            ratio = rng.uniform(0.3, 0.6)
            for year in range(FIRST_YEAR - 1, LAST_YEAR + 1):
                as_of = date(year + 1, 6, 30)
                staff *= rng.uniform(1.0, 1.15)
                ratio = min(1.0, ratio + rng.uniform(0.02, 0.08))
                if not p.active_on(as_of) or rng.random() < (0.5 if year < FIRST_YEAR else 0.12):
                    continue
                n = max(1, round(staff))
                objs.append(
                    WorkforceReturn(institution=p.obj, as_of=as_of, ict_staff=n, qualified_ict_staff=round(n * ratio))
                )
        self.save(WorkforceReturn, objs)

    def eservices_and_usage(self) -> None:
        rng = self.rng
        objs: list[EService] = []
        for p in self.insts:
            offers: list[tuple[str, str, str, str]] = list(SPECIFIC_ESERVICES.get(p.host, []))
            if p.category == Institution.Category.LGA:
                offers += [
                    s for s, chance in zip(LGA_ESERVICES, (0.55, 0.2, 0.12), strict=True) if rng.random() < chance
                ]
            elif p.category != Institution.Category.REGIONAL_SECRETARIAT:
                extra = {"ministry": 2.0, "independent_department": 0.8, "agency": 0.7, "public_corporation": 1.5}
                k = min(len(GENERIC_ESERVICES), int(extra[p.category] * rng.random() * 2))
                paths = {o[3] for o in offers}
                offers += [o for o in rng.sample(GENERIC_ESERVICES, k) if o[3] not in paths]
            elif rng.random() < 0.3:
                offers.append(GENERIC_ESERVICES[0])
            lga = p.category == Institution.Category.LGA
            # Councils went online later, with the revenue-collection system (from 2013/14).
            first = max(p.established_on or HISTORY_START, date(2013, 7, 1) if lga else HISTORY_START)
            last = p.dissolved_on - timedelta(days=60) if p.dissolved_on else PLAN_END - timedelta(days=20)
            for n, (sw, en, event, path) in enumerate(offers, start=1):
                early = p.host in SPECIFIC_ESERVICES and rng.random() < 0.5
                launched = random_day(rng, first, last, skew=0.6 if early else 0.9)
                if early and rng.random() < 0.4:
                    launched = random_day(rng, HISTORY_START, date(2012, 12, 31))
                retired = p.dissolved_on
                if retired is None and rng.random() < 0.05:
                    retired = launched + timedelta(days=rng.randint(300, 1200))
                    retired = None if retired > PLAN_END else retired
                channels = ["web"]
                if rng.random() < 0.35:
                    channels.append("mobile_app")
                if rng.random() < 0.25:
                    channels.append("ussd")
                if rng.random() < 0.3:
                    channels.append("sms")
                if rng.random() < 0.2:
                    channels.append("service_centre")
                url = f"https://{p.host}.example.go.tz/{path}"
                objs.append(
                    EService(
                        institution=p.obj,
                        code=f"{PREFIX}es-{p.host}-{n}",
                        name_sw=sw,
                        name_en=en,
                        description_sw=f"Huduma ya mtandaoni ya {p.name_sw}: {sw[0].lower()}{sw[1:]}.",
                        description_en=f"An online service of the {p.name_en}: {en[0].lower()}{en[1:]}.",
                        how_to_sw=f"Tembelea {url}, jisajili, jaza fomu na ulipe kupitia GePG pale inapohitajika.",
                        how_to_en=f"Visit {url}, register, fill in the form and pay through GePG where a fee applies.",
                        life_event=event,
                        channels=",".join(channels),
                        url=url,
                        fee=Decimal(rng.choice([1000, 2000, 5000, 10000, 20000, 50000]))
                        if rng.random() < 0.4
                        else None,
                        launched_on=launched,
                        retired_on=retired,
                        illustrative=True,
                    )
                )
        self.eservices = self.save(EService, objs)
        self.usage()

    def usage(self) -> None:
        rng = self.rng
        objs = []
        for es in self.eservices:
            monthly = rng.random() < 0.65
            periods_ = _months(es.launched_on) if monthly else _quarters(es.launched_on)
            level = rng.lognormvariate(7.5, 1.2) * (1 if monthly else 3)
            growth = rng.uniform(1.01, 1.05) if monthly else rng.uniform(1.03, 1.15)
            share = rng.uniform(0.25, 0.8)
            for start, end in periods_:
                if es.retired_on and start > es.retired_on:
                    break
                level *= growth
                if rng.random() < 0.04:
                    continue  # a missed return
                tx = max(1, int(level * rng.uniform(0.85, 1.15)))
                objs.append(
                    UsageReturn(
                        eservice=es, period_start=start, period_end=end, transactions=tx, users=max(1, int(tx * share))
                    )
                )
        self.save(UsageReturn, objs)

    def initiatives(self) -> None:
        rng = self.rng
        objs = []
        per = {
            "ministry": 5,
            "independent_department": 2,
            "agency": 2,
            "public_corporation": 3,
            "regional_secretariat": 1,
            "lga": 1,
        }
        n = 0
        for p in self.insts:
            for _ in range(rng.randint(0, per[p.category])):
                start = random_day(rng, max(p.established_on or HISTORY_START, HISTORY_START), PLAN_END, skew=0.9)
                if not p.active_on(start):
                    continue
                n += 1
                end = start + timedelta(days=rng.randint(180, 900))
                review = weighted(
                    rng,
                    [("approved", 74), ("pending", 8), ("rejected", 6), ("not_submitted", 12)],
                )
                reviewed_on = None
                yi = year_index(start)
                if review in ("approved", "rejected"):
                    # Fewer initiatives start before approval as the review becomes routine (R04).
                    late = rng.random() < [0.42, 0.33, 0.25, 0.17, 0.1][yi]
                    reviewed_on = start + timedelta(days=rng.randint(5, 120) * (1 if late else -1))
                if start > PLAN_END - timedelta(days=60) and review != "approved":
                    status = "planned"
                elif review == "rejected" or (review == "not_submitted" and rng.random() < 0.3):
                    status = weighted(rng, [("cancelled", 60), ("suspended", 40)])
                elif end <= PLAN_END:
                    status = weighted(rng, [("completed", 85), ("suspended", 10), ("cancelled", 5)])
                else:
                    status = "in_progress"
                objs.append(
                    Initiative(
                        institution=p.obj,
                        code=f"{PREFIX}ini-{n:04d}",
                        title=rng.choice(INITIATIVE_TITLES),
                        budget=Decimal(rng.randint(2, 300) * 10_000_000),
                        status=status,
                        start_on=start,
                        end_on=end,
                        review_status=review,
                        reviewed_on=reviewed_on,
                        review_notes="Mapitio ya Wakala yamekamilika." if reviewed_on else "",
                    )
                )
        self.save(Initiative, objs)

    def standards_and_assessments(self) -> None:
        rng = self.rng
        standards = [
            Standard(code=PREFIX + code, version=v, title_sw=sw, title_en=en, issued_on=issued)
            for code, v, sw, en, issued in STANDARDS
        ]
        self.save(Standard, standards)
        assessments: list[ComplianceAssessment] = []
        links: list[tuple[int, Standard]] = []
        pool = [p for p in self.insts if p.category != Institution.Category.LGA or rng.random() < 0.5]
        # Assessments start once the first standard is out (March 2013).
        first_day = min(s.issued_on for s in standards if s.issued_on) + timedelta(days=7)
        for yi, fy in enumerate(FISCAL_YEARS):
            seen: set[tuple[str, date]] = set()
            for _ in range(ASSESSMENTS_PER_YEAR[yi]):
                p = rng.choice(pool)
                day = random_day(rng, max(fy.start, first_day), fy.end)
                if not p.active_on(day) or (p.code, day) in seen:
                    continue
                seen.add((p.code, day))
                score = min(99.0, max(20.0, rng.gauss(ASSESSMENT_MEANS[yi], 12)))
                assessments.append(
                    ComplianceAssessment(
                        institution=p.obj,
                        assessed_on=day,
                        score=Decimal(f"{score:.2f}"),
                        findings=rng.choice(
                            [
                                "Sera ya TEHAMA ipo; mpango wa kurejesha huduma haujakamilika.",
                                "Mifumo haijaunganishwa na GovESB; usalama wa taarifa unahitaji kuboreshwa.",
                                "Taasisi inazingatia viwango vingi; nyaraka za usanifu zinahitaji kusasishwa.",
                                "Hakuna kamati ya uongozi wa TEHAMA; mkakati wa TEHAMA umepitwa na wakati.",
                            ]
                        ),
                    )
                )
                issued = [s for s in standards if s.issued_on and s.issued_on <= day]
                for s in rng.sample(issued, min(len(issued), rng.randint(1, 3))):
                    links.append((len(assessments) - 1, s))
        saved = self.save(ComplianceAssessment, assessments)
        through = ComplianceAssessment.standards.through
        self.save(through, [through(complianceassessment=saved[i], standard=s) for i, s in links])

    # --- the Agency's work --------------------------------------------------------------------
    def engagements(self) -> None:
        rng = self.rng
        officer = User.objects.filter(username=DEMO_OFFICER).first()
        # About 299 institutions were served (DEMO-FACTS.md): a fixed clientele, some far busier.
        clients = rng.sample(self.insts, min(299, len(self.insts)))
        weights = [3.0 if c.is_mda else 1.0 for c in clients]
        objs = []
        n = 0
        for yi, fy in enumerate(FISCAL_YEARS):
            for _ in range(ENGAGEMENTS_PER_YEAR[yi]):
                p = rng.choices(clients, weights=weights)[0]
                requested = random_day(rng, fy.start, fy.end)
                if not p.active_on(requested):
                    continue
                n += 1
                kind = weighted(rng, ENGAGEMENT_KINDS)
                service = weighted(rng, ENGAGEMENT_SERVICES[kind])
                started = requested + timedelta(days=rng.randint(0, 10 - yi))
                if service == Engagement.Service.HELP_DESK:
                    took = rng.randint(0, 4)
                else:
                    took = int(rng.uniform(5, 70) * (1 - 0.1 * yi))  # faster every year (R12)
                completed: date | None = started + timedelta(days=took)
                status = Engagement.Status.COMPLETED
                if rng.random() < 0.03:
                    status, completed = Engagement.Status.CANCELLED, None
                elif completed is not None and completed > PLAN_END:
                    status, completed = Engagement.Status.IN_PROGRESS, None
                if started > PLAN_END:
                    status, started, completed = Engagement.Status.REQUESTED, requested, None
                satisfaction = None
                if completed and rng.random() < 0.72:
                    satisfaction = weighted(rng, [(5, 40 + 3 * yi), (4, 38), (3, 13 - yi), (2, 6 - yi), (1, 3)])
                objs.append(
                    Engagement(
                        reference=f"{PREFIX}eng-{n:05d}",
                        institution=p.obj,
                        kind=kind,
                        service=service,
                        status=status,
                        requested_on=requested,
                        started_on=started if status != Engagement.Status.REQUESTED else None,
                        completed_on=completed,
                        officer=officer,
                        org_unit=self.units[_engagement_unit(kind, service, requested)],
                        fee=Decimal(rng.randint(10, 300) * 50_000)
                        if kind == Engagement.Kind.ADVISORY and p.category != Institution.Category.MINISTRY
                        else None,
                        satisfaction=satisfaction,
                    )
                )
        self.save(Engagement, objs)

    def budget(self) -> None:
        objs = []
        rng = self.rng
        for yi, fy in enumerate(FISCAL_YEARS):
            total = BUDGET_TOTALS[yi]
            shared = total * SHARED_RESOURCE_SHARE[yi]
            rest = total - shared
            for code, unit, description, share in SHARED_RESOURCE_LINES:
                objs.append(
                    BudgetLine(
                        fiscal_year=fy.code,
                        code=code,
                        category=BudgetLine.Category.SHARED_RESOURCES,
                        org_unit=self.units[unit],
                        description=description,
                        amount=Decimal(round(shared * share * rng.uniform(0.95, 1.05), -6)),
                    )
                )
            for code, category, unit, description, share in BUDGET_LINES:
                objs.append(
                    BudgetLine(
                        fiscal_year=fy.code,
                        code=code,
                        category=category,
                        org_unit=self.units[unit],
                        description=description,
                        amount=Decimal(round(rest * share * rng.uniform(0.9, 1.1), -6)),
                    )
                )
        self.save(BudgetLine, objs)

    def revenue(self) -> None:
        rng = self.rng
        treasury = self.by_code[PREFIX + "wizara-fedha"].obj
        payers = [p for p in self.insts if p.category in ("agency", "public_corporation")]
        objs = []
        n = 0

        def receipt(day: date, source: str, amount: float, payer: Institution | None, description: str) -> None:
            nonlocal n
            n += 1
            objs.append(
                Revenue(
                    reference=f"{PREFIX}rct-{n:05d}",
                    received_on=day,
                    source=source,
                    amount=Decimal(round(amount, -3)),
                    payer=payer,
                    description=description,
                )
            )

        for yi, fy in enumerate(FISCAL_YEARS):
            for q in periods.quarters_of(fy):
                receipt(
                    q.start + timedelta(days=rng.randint(5, 25)),
                    Revenue.Source.SUBVENTION,
                    BUDGET_TOTALS[yi] * SUBVENTION_SHARE[yi] / 4 * rng.uniform(0.95, 1.05),
                    treasury,
                    "Ruzuku ya Serikali",
                )
            for m in periods.months_of(fy):
                for _ in range(rng.randint(1 + yi, 3 + 2 * yi)):
                    receipt(
                        random_day(rng, m.start, m.end),
                        Revenue.Source.ADVISORY,
                        rng.uniform(5, 45) * 1_000_000,
                        rng.choice(payers).obj,
                        "Ada ya huduma za ushauri",
                    )
                for _ in range(rng.randint(2 + yi, 4 + 3 * yi)):
                    receipt(
                        random_day(rng, m.start, m.end),
                        Revenue.Source.EGOV_SERVICES,
                        rng.uniform(0.5, 20) * 1_000_000,
                        rng.choice(payers).obj,
                        rng.choice(["Ada ya kuhifadhi mifumo", "Ada ya huduma za mGov", "Ada ya GovNet"]),
                    )
        self.save(Revenue, objs)

    def posts(self) -> None:
        rng = self.rng
        objs = []
        days = [date(y, 7, 1) for y in range(FIRST_YEAR, LAST_YEAR + 1)]
        days += [date(y + 1, 1, 1) for y in range(FIRST_YEAR, LAST_YEAR + 1)]
        days.append(PLAN_END)
        days.sort()
        for code, positions in POSITIONS.items():
            unit = self.units[code]
            for title, approved0 in positions:
                fill = rng.uniform(0.5, 0.65)
                for day in days:
                    if not (unit.valid_from is None or unit.valid_from <= day) or not (
                        unit.valid_to is None or unit.valid_to >= day
                    ):
                        continue
                    yi = year_index(day)
                    # The establishment grows, except for posts held by one person.
                    approved = approved0 if approved0 < 3 else approved0 + (approved0 * yi) // 6
                    fill = min(1.0, fill + rng.uniform(0.0, 0.05))
                    objs.append(
                        PostRecord(
                            org_unit=unit,
                            position=title,
                            as_of=day,
                            approved=approved,
                            filled=min(approved, round(approved * fill)),
                        )
                    )
        self.save(PostRecord, objs)

    # --- feedback -----------------------------------------------------------------------------
    def complaints(self) -> None:
        rng = self.rng
        ref = ReferenceMaker("MAL", rng.randrange(_REF_SPACE))
        live = list(self.eservices)
        inst_pool = list(self.insts)
        objs: list[Complaint] = []
        steps: list[list[tuple[datetime, str, str]]] = []
        per_year = [420, 520, 620, 700, 760]
        for yi, fy in enumerate(FISCAL_YEARS):
            for _ in range(per_year[yi]):
                about = weighted(rng, [("agency", 18), ("institution", 47), ("eservice", 35)])
                day = random_day(rng, fy.start, fy.end, skew=0.95)
                category = weighted(rng, COMPLAINT_CATEGORY_WEIGHTS)
                subject = rng.choice(COMPLAINT_SUBJECTS[category])
                institution = eservice = None
                if about == "eservice":
                    es = rng.choice(live)
                    if es.launched_on > day or (es.retired_on and es.retired_on <= day):
                        about = "institution"
                    else:
                        eservice, institution = es, es.institution
                if about == "institution":
                    p = rng.choice(inst_pool)
                    if not p.active_on(day):
                        continue
                    institution = p.obj
                if about == "agency" and rng.random() > [0.4, 0.33, 0.27, 0.2, 0.15][yi]:
                    # Most complaints about the Agency are specific; a shrinking share repeat
                    # a known problem (K18 falls).
                    subject = f"{subject} – {rng.choice(self.insts).name_sw}"
                received = office_time(rng, day) if rng.random() < 0.8 else _any_time(rng, day)
                days_to_resolve = rng.lognormvariate(1.9 - 0.15 * yi, 0.9)
                resolved_at: datetime | None = received + timedelta(days=days_to_resolve)
                status = weighted(rng, [("resolved", 88), ("rejected", 7), ("in_progress", 5)])
                if status == "in_progress" or (resolved_at and resolved_at.date() > PLAN_END):
                    status, resolved_at = ("in_progress" if rng.random() < 0.6 else "open"), None
                first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
                named = rng.random() < 0.7
                objs.append(
                    Complaint(
                        reference=ref(len(objs)),
                        channel=weighted(rng, COMPLAINT_CHANNEL_WEIGHTS),
                        about=about,
                        institution=institution,
                        eservice=eservice,
                        category=category,
                        subject=subject,
                        description=f"{subject}. Naomba msaada wa haraka.",
                        complainant_name=f"{first} {last}" if named else "",
                        complainant_contact=f"{first}.{last}@example.com".lower() if named else "",
                        received_at=received,
                        resolved_at=resolved_at,
                        status=status,
                        resolution={
                            "resolved": "Tatizo limetatuliwa na mlalamikaji amejulishwa.",
                            "rejected": "Lalamiko halikuwa ndani ya mamlaka ya taasisi.",
                        }.get(status, ""),
                    )
                )
                history = [(received, "open", "Lalamiko limepokelewa.")]
                if status != "open" and days_to_resolve > 1:
                    history.append(
                        (received + timedelta(hours=rng.randint(2, 20)), "in_progress", "Lalamiko linashughulikiwa.")
                    )
                if resolved_at is not None:
                    history.append((resolved_at, status, objs[-1].resolution))
                steps.append(history)
        saved = self.save(Complaint, objs)
        self.save(
            ComplaintUpdate,
            [
                ComplaintUpdate(complaint=c, at=at, status=status, note=note)
                for c, history in zip(saved, steps, strict=True)
                for at, status, note in history
            ],
        )

    def information_requests(self) -> None:
        rng = self.rng
        ref = ReferenceMaker("OMB", rng.randrange(_REF_SPACE))
        weights = [3.0 if p.is_mda else 1.0 for p in self.insts]
        objs: list[InformationRequest] = []
        per_year = [210, 260, 300, 340, 380]
        for yi, fy in enumerate(FISCAL_YEARS):
            for _ in range(per_year[yi]):
                p = rng.choices(self.insts, weights=weights)[0]
                day = random_day(rng, fy.start, fy.end)
                if not p.active_on(day):
                    continue
                submitted = office_time(rng, day) if rng.random() < 0.7 else _any_time(rng, day)
                deadline = add_working_days(submitted.astimezone(EAT).date(), 20)
                status = weighted(rng, [("answered", 84), ("refused", 6), ("withdrawn", 3), ("awaiting", 7)])
                # Answers come faster every year (K09): a median of about 18 days falling to 9.
                answered_at: datetime | None = submitted + timedelta(
                    days=rng.lognormvariate(2.9 - 0.17 * yi, 0.55), minutes=rng.randint(0, 600)
                )
                if status in ("withdrawn", "awaiting") or (answered_at and answered_at.date() > PLAN_END):
                    answered_at = None
                    status = status if status == "withdrawn" else "awaiting"
                subject = rng.choice(REQUEST_SUBJECTS)
                first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
                objs.append(
                    InformationRequest(
                        reference=ref(len(objs)),
                        institution=p.obj,
                        subject=subject,
                        question=f"Naomba kupatiwa {subject[0].lower()}{subject[1:]} kwa mwaka wa fedha {fy.code}.",
                        requester_name=f"{first} {last}",
                        requester_contact=f"{first}.{last}@example.org".lower(),
                        submitted_at=submitted,
                        deadline=deadline,
                        answered_at=answered_at,
                        status=status,
                        answer={
                            "answered": "Taarifa uliyoomba imeambatishwa.",
                            "refused": "Taarifa hii ni ya siri kwa mujibu wa sheria.",
                        }.get(status, ""),
                    )
                )
        self.save(InformationRequest, objs)

    def surveys(self) -> None:
        rng = self.rng
        surveys: list[Survey] = []
        questions: list[SurveyQuestion] = []
        for kind, stem, sw, en, opens, closes, texts in SURVEYS:
            for fy in FISCAL_YEARS:
                year = fy.end.year
                s = Survey(
                    code=f"{PREFIX}{stem}-{fy.code.replace('/', '-')}",
                    kind=kind,
                    name_sw=f"{sw} {fy.code}",
                    name_en=f"{en} {fy.code}",
                    opens_on=date(year, *opens),
                    closes_on=date(year, *closes),
                )
                surveys.append(s)
                questions += [
                    SurveyQuestion(survey=s, order=i, text_sw=q_sw, text_en=q_en)
                    for i, (q_sw, q_en) in enumerate(texts, start=1)
                ]
        self.save(Survey, surveys)
        self.save(SurveyQuestion, questions)
        by_survey: dict[str, list[SurveyQuestion]] = {}
        for q in questions:
            by_survey.setdefault(q.survey.code, []).append(q)
        responses: list[SurveyResponse] = []
        answers: list[list[int]] = []
        respondents = list(self.insts)
        for s in surveys:
            yi = year_index(s.opens_on)
            counts, means = SURVEY_RESPONSES[s.kind]
            qs = by_survey[s.code]
            for _ in range(counts[yi]):
                day = random_day(rng, s.opens_on, s.closes_on or s.opens_on)
                institution = None
                if s.kind == Survey.Kind.INSTITUTION_SATISFACTION:
                    respondent = SurveyResponse.Respondent.INSTITUTION
                    p = rng.choice(respondents)
                    if not p.active_on(day):
                        continue
                    institution = p.obj
                elif s.kind == Survey.Kind.STAFF_SATISFACTION:
                    respondent = SurveyResponse.Respondent.STAFF
                else:
                    respondent = weighted(rng, [("stakeholder", 40), ("citizen", 45), ("business", 15)])
                # One respondent's answers move together around their own mood.
                mood = rng.gauss(means[yi], 0.55)
                values = [min(5, max(1, round(rng.gauss(mood, 0.6)))) for _ in qs]
                answers.append(values)
                responses.append(
                    SurveyResponse(
                        survey=s,
                        submitted_at=_any_time(rng, day),
                        respondent=respondent,
                        institution=institution,
                        score=(Decimal(sum(values)) / len(values)).quantize(Decimal("0.001")),
                    )
                )
        saved = self.save(SurveyResponse, responses)
        self.save(
            SurveyAnswer,
            [
                SurveyAnswer(response=r, question=q, value=v)
                for r, values in zip(saved, answers, strict=True)
                for q, v in zip(by_survey[r.survey.code], values, strict=True)
            ],
        )

    def load(self) -> dict[str, int]:
        self.units = {u.code: u for u in OrgUnit.objects.filter(code__in=[c for c, *_ in demo.ORG_UNITS])}
        self.institutions()
        self.focal_persons()
        self.shared_resources()
        self.subscriptions()
        self.workforce()
        self.eservices_and_usage()
        self.initiatives()
        self.standards_and_assessments()
        self.engagements()
        self.budget()
        self.revenue()
        self.posts()
        self.complaints()
        self.information_requests()
        self.surveys()
        return self.counts


def _curve_day(curve: list[tuple[date, int]], k: float) -> date:
    """The day a piecewise-linear cumulative curve reaches ``k``."""
    for (d0, c0), (d1, c1) in itertools.pairwise(curve):
        if k <= c1:
            return d0 + timedelta(days=int((d1 - d0).days * (k - c0) / max(c1 - c0, 1)))
    return curve[-1][0]


def _months(launched: date) -> list[tuple[date, date]]:
    """Calendar months from the first full month after launch (not before 2012) to the plan's end."""
    out = []
    first = max(launched, HISTORY_START)
    y, m = (first.year, first.month) if first.day == 1 else (first.year + first.month // 12, first.month % 12 + 1)
    while date(y, m, 1) <= PLAN_END:
        out.append((date(y, m, 1), periods.month(y, m).end))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _quarters(launched: date) -> list[tuple[date, date]]:
    first = max(launched, HISTORY_START)
    out = []
    for fy_year in range(2011, LAST_YEAR + 1):
        for q in periods.quarters_of(periods.fiscal_year(fy_year)):
            if q.start >= first and q.end <= PLAN_END:
                out.append((q.start, q.end))
    return out


def _any_time(rng: random.Random, day: date) -> datetime:
    minutes = rng.randint(0, 24 * 60 - 1)
    return datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=EAT).astimezone(UTC)


def _engagement_unit(kind: str, service: str, day: date) -> str:
    if service == Engagement.Service.HELP_DESK:
        # The 2015/16 reorganisation: the help desk became a 24/7 section on 1 July 2015.
        return "huduma-ushauri-dawati247" if day >= date(2015, 7, 1) else "huduma-ushauri-dawati"
    if service in (Engagement.Service.SECURITY, Engagement.Service.DISASTER_RECOVERY):
        return "huduma-ushauri-usalama"
    if service == Engagement.Service.ARCHITECTURE:
        return "viwango-miongozo"
    return "huduma-ushauri"


def already_loaded() -> bool:
    return EService.objects.filter(illustrative=True, code__startswith=f"{PREFIX}es-").exists()


def load_demo_records(seed: int = DEMO_SEED) -> dict[str, int]:
    """Load the illustrative records; returns rows written per record type ({} when already there).

    Needs the regions and the demo org units (``demo.load_regions``/``load_org_units``, loaded
    here if missing); the engagements name the demo advisory officer when that user exists.
    """
    if already_loaded():
        return {}
    demo.load_regions()
    demo.load_org_units()
    with transaction.atomic():
        return _Loader(random.Random(seed)).load()  # noqa: S311  (reproducible, not secret)
