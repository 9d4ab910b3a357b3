"""Word lists the generated tables draw from: names, companies, merchants, streets, cities.

All fictional apart from ``WELL_KNOWN_COMPANIES`` (real companies named like people, never labeled).
Data only, no randomness: ``rng.choice`` picks by position, so changing a list's order or content
changes the generated files.
"""

from __future__ import annotations

from typing import NamedTuple

# --------------------------------------------------------------------------------------------
# Word lists (kept compact: the formatter would put one word per line)
# --------------------------------------------------------------------------------------------

# fmt: off

class NamePool(NamedTuple):
    first: tuple[str, ...]
    last: tuple[str, ...]


NAME_POOLS = {
    "hispanic": NamePool(
        ("José", "María", "Alejandro", "Guadalupe", "Camila", "Diego", "Valentina", "Luis",
         "Ximena", "Joaquín"),
        ("García", "Hernández", "López", "Martínez", "Rodríguez", "González", "Ramírez",
         "de la Cruz", "Flores", "Castillo"),
    ),
    "east_asian": NamePool(
        ("Wei", "Mei", "Hiroshi", "Yuki", "Ji-woo", "Min-jun", "Haruto", "Xiaoling", "Thanh",
         "Sakura"),
        ("Chen", "Wang", "Nguyen", "Tanaka", "Kim", "Park", "Li", "Watanabe", "Zhang", "Tran"),
    ),
    "south_asian": NamePool(
        ("Priya", "Arjun", "Ananya", "Rahul", "Sanjay", "Deepika", "Vikram", "Lakshmi", "Imran",
         "Kavya"),
        ("Patel", "Sharma", "Iyer", "Reddy", "Chatterjee", "Singh", "Khan", "Nair", "Gupta",
         "Raman"),
    ),
    "african": NamePool(
        ("Chinedu", "Amara", "Kwame", "Ngozi", "Oluwaseun", "Thandiwe", "Abebe", "Zainab", "Kofi",
         "Wanjiru"),
        ("Okafor", "Mensah", "Adeyemi", "Nwosu", "Diallo", "Mwangi", "Okonkwo", "Abara",
         "Boateng", "Tesfaye"),
    ),
    "slavic": NamePool(
        ("Dmitri", "Olga", "Katarzyna", "Łukasz", "Milan", "Svetlana", "Bogdan", "Anastasia",
         "Tomáš", "Yelena"),
        ("Ivanov", "Kowalski", "Nowak", "Novák", "Petrović", "Dvořák", "Shevchenko",
         "Kowalczyk", "Horvat", "Volkova"),
    ),
    "arabic": NamePool(
        ("Omar", "Layla", "Youssef", "Fatima", "Khalid", "Noor", "Ahmed", "Rania", "Tariq",
         "Samira"),
        ("Haddad", "Al-Sayed", "Khoury", "Mansour", "El-Amin", "Nasser", "Abdullah", "Farouk",
         "Saleh", "Bakr"),
    ),
    "anglo": NamePool(
        ("James", "Emily", "Sarah", "Michael", "Patrick", "Siobhan", "Graham", "Megan",
         "Mary-Kate", "Ford"),
        ("O'Brien", "Smith", "Johnson", "Williams", "O'Neill", "McDonald", "Baker", "Fitzgerald",
         "Smith-Jones", "Wells"),
    ),
    "european": NamePool(
        ("Jean-Luc", "Anne-Marie", "Søren", "Matteo", "Chloé", "Lars", "Giulia", "Henrik",
         "Zoë", "Jürgen"),
        ("Moreau", "Dubois", "Rossi", "Müller", "D'Angelo", "van der Berg", "Jensen",
         "Lefèvre", "Schmidt", "Esposito"),
    ),
}

TITLES = ("Dr.", "Ms.", "Mr.", "Mrs.", "Prof.")

# Real companies whose names contain person-like words; never labeled.
WELL_KNOWN_COMPANIES = (
    "Johnson & Johnson", "Wells Fargo Bank, N.A.", "Ford Motor Co", "Procter & Gamble",
    "Ben & Jerry's", "McDonald's", "Morgan Stanley", "Goldman Sachs", "Charles Schwab Corp",
    "Edward Jones", "Raymond James Financial", "Dr Pepper", "Walt Disney Co", "Wendy's",
    "Trader Joe's", "Dell Technologies", "Hewlett Packard Enterprise", "Sherwin-Williams",
    "Lockheed Martin", "Kelly Services", "Tata Consultancy Services", "Banco Santander, S.A.",
    "Siemens AG", "Ernst & Young LLP", "Marriott International", "Comcast Cable", "PG&E",
    "ADP Payroll Services", "Internal Revenue Service", "Amazon.com", "Pacific Life",
)
COMPANY_WORDS = (
    "Blue Harbor", "Northwind", "Summit Ridge", "Lakeside", "Redwood", "Ironclad", "Silverline",
    "Atlas", "Pinecrest", "Greenfield", "Maple Leaf", "Cedar Point", "Harborview",
    "Granite Peak", "Brightwater", "Golden Gate", "Prairie Wind", "Copperline", "Bluebonnet",
    "Tidewater",
)
INDUSTRIES = (
    "Freight", "Analytics", "Office Supply", "IT Services", "Catering", "Janitorial", "Security",
    "Print", "Electric", "Dental Group", "Logistics", "Staffing", "Packaging", "Consulting",
    "Plumbing", "Landscaping", "Bakery", "Tool & Die", "Media", "Couriers",
)
COMPANY_SUFFIXES = ("Inc.", "LLC", "Ltd", "Co.", "Corp.", "LLP", "Group", "Holdings")

MERCHANTS = (
    ("STARBUCKS #10234", "5814"), ("AMZN MKTP US*2K4L19QZ0", "5942"), ("UBER *TRIP", "4121"),
    ("SHELL OIL 57442", "5541"), ("DELTA AIR 0062345981", "3058"), ("MARRIOTT SF UNION SQ", "3509"),
    ("WALGREENS #3321", "5912"), ("JOE'S PIZZA", "5812"), ("TST* MARIA'S TAQUERIA", "5812"),
    ("WENDY'S #4410", "5814"), ("TRADER JOE'S #552", "5411"), ("HOME DEPOT 6611", "5200"),
    ("SQ *BLUE BOTTLE COFFEE", "5814"), ("ZOOM.COM INC", "4816"),
    ("ADOBE *CREATIVE CLD", "5734"), ("HILTON GARDEN INN", "3504"), ("LYFT *RIDE", "4121"),
    ("OFFICE DEPOT #1187", "5943"), ("KING SOOPERS #0034", "5411"), ("MCDONALD'S F1234", "5814"),
)

STREET_NAMES = (
    "Maple", "Oak", "Cedar", "Elm", "Washington", "Lincoln", "Martin Luther King Jr", "Mission",
    "Cesar Chavez", "Kalakaua", "Peachtree", "Sunset", "Lakeshore", "Jefferson", "Franklin",
    "Willow Creek", "Magnolia", "Ocean View", "Park", "3rd", "42nd", "Main", "Hickory Hollow",
    "Juniper", "Old Mill", "Riverside", "Pulaski", "Cabrillo", "Industrial", "Sequoia",
)
NO_SUFFIX_STREETS = ("Broadway", "El Camino Real", "Avenue of the Americas", "Via Ventura")
STREET_SUFFIXES = ("St", "Ave", "Blvd", "Rd", "Dr", "Ln", "Way", "Ct", "Pl", "Street", "Avenue",
                   "Pkwy", "Terrace")


class City(NamedTuple):
    name: str
    state: str
    zip3: str


# Several cities are also first or last names (Washington, Lincoln, Jackson, Madison, ...).
CITIES = (
    City("San Francisco", "CA", "941"), City("Santa Clara", "CA", "950"),
    City("Austin", "TX", "787"), City("Houston", "TX", "770"), City("Tyler", "TX", "757"),
    City("Chicago", "IL", "606"), City("Miami", "FL", "331"), City("Seattle", "WA", "981"),
    City("Boston", "MA", "021"), City("Atlanta", "GA", "303"), City("Denver", "CO", "802"),
    City("Phoenix", "AZ", "850"), City("Newark", "NJ", "071"), City("St. Louis", "MO", "631"),
    City("Brooklyn", "NY", "112"), City("Minneapolis", "MN", "554"),
    City("Washington", "DC", "200"), City("Lincoln", "NE", "685"), City("Jackson", "MS", "392"),
    City("Madison", "WI", "537"), City("Charlotte", "NC", "282"), City("Florence", "SC", "295"),
    City("Eugene", "OR", "974"), City("Honolulu", "HI", "968"), City("Albuquerque", "NM", "871"),
)

FOREIGN_STREETS = {
    "GB": ("High Street", "Station Road", "Church Lane", "Victoria Road", "Kingsway"),
    "DE": ("Hauptstraße", "Bahnhofstraße", "Lindenallee", "Schillerstraße", "Goethestraße"),
    "FR": ("rue de la République", "avenue Victor Hugo", "boulevard Haussmann",
           "rue Émile Zola"),
    "NL": ("Keizersgracht", "Damrak", "Herengracht", "Coolsingel"),
    "ES": ("Calle Mayor", "Avenida de la Constitución", "Calle de Alcalá", "Gran Vía"),
    "IT": ("Via Roma", "Corso Garibaldi", "Via Giuseppe Verdi", "Via Dante Alighieri"),
}
FOREIGN_CITIES = {
    "GB": ("London", "Manchester", "Leeds"), "DE": ("Berlin", "München", "Hamburg"),
    "FR": ("Paris", "Lyon", "Toulouse"), "NL": ("Amsterdam", "Rotterdam", "Utrecht"),
    "ES": ("Madrid", "Barcelona", "Valencia"), "IT": ("Milano", "Roma", "Torino"),
}
CURRENCIES = {"US": "USD", "GB": "GBP", "DE": "EUR", "FR": "EUR", "NL": "EUR", "ES": "EUR",
              "IT": "EUR"}
BICS = {
    "GB": ("NWBKGB2L", "BARCGB22", "HBUKGB4B"), "DE": ("DEUTDEFF", "COBADEFF", "INGDDEFF"),
    "FR": ("BNPAFRPP", "SOGEFRPP", "CRLYFRPP"), "NL": ("ABNANL2A", "INGBNL2A", "RABONL2U"),
    "ES": ("CAIXESBB", "BSCHESMM", "BBVAESMM"), "IT": ("UNCRITMM", "BCITITMM", "BPMOIT22"),
}

PERSONAL_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com",
                    "proton.me", "aol.com", "fastmail.com", "gmx.de", "yahoo.co.uk")
US_AREA_CODES = ("415", "212", "312", "646", "713", "305", "206", "617", "404", "303", "602",
                 "503", "202", "702", "808", "470", "929")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
# fmt: on


# Job title, department and cost center (employees_payroll; gl_lines draws cost centers).
JOBS = (
    ("Staff Accountant", "Finance", "CC-410"),
    ("AP Specialist", "Finance", "CC-410"),
    ("Payroll Analyst", "People", "CC-220"),
    ("Software Engineer", "Engineering", "CC-700"),
    ("Sales Manager", "Sales", "CC-510"),
    ("Warehouse Associate", "Operations", "CC-830"),
    ("Customer Support Rep", "Support", "CC-615"),
    ("Controller", "Finance", "CC-400"),
    ("Data Analyst", "Engineering", "CC-710"),
    ("Recruiter", "People", "CC-225"),
)
