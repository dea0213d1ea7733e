/**
 * Slot fillers: `{product}`, `{amount}`, `{invoice}`, … inside phrase templates.
 * Within one message a slot keeps its value (`{product}` twice names the same product);
 * a trailing digit asks for an independent value of the same kind (`{amount2}`).
 * All names, companies and products are fictional.
 */
import { chance, intBetween, pick, pickWeighted, type RandomGenerator } from './random.js';

/** The company that receives the inquiries. */
export const OUR_COMPANY = 'Orbitly';
export const OUR_DOMAIN = 'orbitly.io';

export const PRODUCTS = [
  'Orbitly Dashboard',
  'Orbitly Sync',
  'Orbitly Mobile',
  'Orbitly API',
  'Orbitly Reports',
  'Orbitly Connect',
  'Orbitly Vault',
  'Orbitly Desk',
  'Orbitly Forms',
  'Orbitly Insights',
] as const;

const FEATURES = [
  'the reporting dashboard',
  'bulk export',
  'single sign-on',
  'the calendar view',
  'custom fields',
  'scheduled reports',
  'the audit log',
  'two-factor authentication',
  'the search bar',
  'webhooks',
  'dark mode',
  'the kanban board',
  'shared workspaces',
  'the approval workflow',
  'offline mode',
  'the CSV import',
  'role-based permissions',
  'saved filters',
  'the activity feed',
  'recurring tasks',
];
const PLANS = ['Starter', 'Team', 'Business', 'Enterprise', 'Pro', 'Growth'];
const INTEGRATIONS = [
  'PipeCRM',
  'Ledgerly',
  'TaskNest',
  'HelpHarbor',
  'MailKite',
  'SheetStack',
  'PayBridge',
  'ShopSpring',
];
const COMPETITORS = ['Flowbase', 'Trackwise', 'Kanbo', 'DashPilot', 'Metricon', 'Taskory'];
const CITIES = [
  'Berlin',
  'Lisbon',
  'Toronto',
  'Austin',
  'Manchester',
  'Lyon',
  'Melbourne',
  'Dublin',
  'Rotterdam',
  'Denver',
  'Osaka',
  'Cape Town',
  'Warsaw',
  'Milan',
  'Vancouver',
  'Singapore',
  'Madrid',
  'Stockholm',
  'Chicago',
  'Auckland',
];
const COUNTRIES = [
  'Germany',
  'France',
  'Spain',
  'the Netherlands',
  'Canada',
  'Australia',
  'Ireland',
  'Poland',
  'Japan',
  'Portugal',
  'Sweden',
  'Italy',
];
const BROWSERS = ['Chrome', 'Firefox', 'Safari', 'Edge'];
const OPERATING_SYSTEMS = [
  'iOS 18',
  'Android 15',
  'Windows 11',
  'macOS 15',
  'Android 14',
  'iOS 17',
];
const DEVICES = ['iPhone 15', 'Pixel 8', 'Galaxy S24', 'iPad Air', 'iPhone 13', 'Galaxy A54'];
const DEPARTMENTS = [
  'finance',
  'marketing',
  'engineering',
  'operations',
  'sales',
  'customer success',
  'logistics',
  'procurement',
];
const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'];
export const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const WORD_NUMBERS = ['two', 'three', 'four', 'five', 'six'];
const BRAND_WORDS = ['Brightloop', 'Quillfy', 'Zentrova', 'Mapleshift', 'Corvix', 'Lumora'];
export const FIRST_NAMES = [
  'Anna',
  'Ben',
  'Carla',
  'Dmitri',
  'Elif',
  'Farah',
  'Gustav',
  'Hana',
  'Ivan',
  'Jonas',
  'Keiko',
  'Liam',
  'Maya',
  'Nikhil',
  'Olga',
  'Pedro',
  'Quinn',
  'Rosa',
  'Samir',
  'Tara',
  'Umar',
  'Vera',
  'Wen',
  'Ximena',
  'Yusuf',
  'Zoe',
  'Amara',
  'Bruno',
  'Chloe',
  'Daniel',
  'Esther',
  'Felix',
  'Grace',
  'Hugo',
  'Ingrid',
  'Jamal',
  'Kofi',
  'Lena',
  'Marco',
  'Nadia',
  'Oscar',
  'Priya',
  'Rafael',
  'Sofia',
  'Tomasz',
  'Ursula',
  'Victor',
  'Wanjiru',
  'Yara',
  'Aiko',
  'Noah',
  'Mila',
  'Arjun',
  'Leila',
  'Mateo',
  'Sienna',
  'Kai',
  'Freya',
  'Omar',
  'Julia',
];
export const LAST_NAMES = [
  'Andersen',
  'Brightwater',
  'Castellanos',
  'Dubois',
  'Eriksen',
  'Fairbanks',
  'Goldberg',
  'Halvorsen',
  'Ibarra',
  'Jankowski',
  'Kowalczyk',
  'Lindqvist',
  'Moreau',
  'Nakamura',
  'Okafor',
  'Petrova',
  'Quintero',
  'Rahman',
  'Schreiber',
  'Takahashi',
  'Umarov',
  'Vasquez',
  'Whitfield',
  'Xu',
  'Yilmaz',
  'Zielinski',
  'Abernathy',
  'Bergstrom',
  'Carvalho',
  'Delacroix',
  'Esposito',
  'Fontaine',
  'Gallagher',
  'Hendricks',
  'Iversen',
  'Jovanovic',
  'Kaur',
  'Lefebvre',
  'Mensah',
  'Novak',
  "O'Donnell",
  'Pillai',
  'Rossi',
  'Sato',
  'Thornbury',
  'Van Dijk',
  'Wojcik',
  'Adeyemi',
  'Brennan',
  'Chandra',
];

type SlotFiller = (rng: RandomGenerator) => string;

function digits(rng: RandomGenerator, count: number): string {
  let out = '';
  for (let index = 0; index < count; index++) out += String(intBetween(rng, 0, 9));
  return out;
}

/** 1234567.5 → "1,234,567.50", without locale-dependent Intl formatting. */
export function formatMoney(value: number): string {
  const cents = Math.round(value * 100);
  const whole = String(Math.floor(cents / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${whole}.${String(cents % 100).padStart(2, '0')}`;
}

function amount(rng: RandomGenerator): string {
  const magnitude = pickWeighted(rng, [10, 100, 1000, 10000], [0.25, 0.45, 0.25, 0.05]);
  const value = intBetween(rng, magnitude, magnitude * 9) + (chance(rng, 0.5) ? 0.99 : 0);
  const currency = pick(rng, ['$', '$', '€', '€', '£']);
  return `${currency}${formatMoney(value)}`;
}

function errorCode(rng: RandomGenerator): string {
  switch (intBetween(rng, 0, 5)) {
    case 0:
      return `E${digits(rng, 4)}`;
    case 1:
      return pick(rng, ['HTTP 500', 'HTTP 502', 'HTTP 503', 'HTTP 401', 'HTTP 403', 'HTTP 429']);
    case 2:
      return pick(rng, [
        'ERR_SYNC_TIMEOUT',
        'ERR_AUTH_EXPIRED',
        'ERR_QUOTA_EXCEEDED',
        'ERR_CONN_RESET',
        'ERR_INVALID_TOKEN',
      ]);
    case 3:
      return `0x8007${digits(rng, 4)}`;
    case 4:
      return `${pick(rng, ['AUTH', 'SYNC', 'API', 'DB', 'EXP'])}-${digits(rng, 3)}`;
    default:
      return pick(rng, ['TimeoutError', 'NullReferenceError', 'ConnectionRefused', 'RateLimited']);
  }
}

function duration(rng: RandomGenerator): string {
  switch (intBetween(rng, 0, 4)) {
    case 0:
      return `${intBetween(rng, 10, 55)} minutes`;
    case 1:
      return `${intBetween(rng, 2, 9)} hours`;
    case 2:
      return `${pick(rng, WORD_NUMBERS)} days`;
    case 3:
      return pick(rng, ['a week', 'two weeks', 'about a month', 'half a day']);
    default:
      return `${intBetween(rng, 2, 20)} days`;
  }
}

function date(rng: RandomGenerator): string {
  const month = pick(rng, MONTHS);
  const day = intBetween(rng, 1, 28);
  return chance(rng, 0.7) ? `${month} ${day}` : `${day} ${month}`;
}

const FILLERS: Readonly<Record<string, SlotFiller>> = {
  product: (rng) => pick(rng, PRODUCTS),
  feature: (rng) => pick(rng, FEATURES),
  plan: (rng) => pick(rng, PLANS),
  integration: (rng) => pick(rng, INTEGRATIONS),
  competitor: (rng) => pick(rng, COMPETITORS),
  city: (rng) => pick(rng, CITIES),
  country: (rng) => pick(rng, COUNTRIES),
  browser: (rng) => pick(rng, BROWSERS),
  os: (rng) => pick(rng, OPERATING_SYSTEMS),
  device: (rng) => pick(rng, DEVICES),
  department: (rng) => pick(rng, DEPARTMENTS),
  weekday: (rng) => pick(rng, WEEKDAYS),
  month: (rng) => pick(rng, MONTHS),
  brand: (rng) => pick(rng, BRAND_WORDS),
  colleague: (rng) => pick(rng, FIRST_NAMES),
  amount,
  error: errorCode,
  duration,
  date,
  invoice: (rng) =>
    chance(rng, 0.6)
      ? `INV-${intBetween(rng, 2023, 2025)}-${digits(rng, 5)}`
      : `#${digits(rng, 6)}`,
  ticket: (rng) => `#${intBetween(rng, 10000, 999999)}`,
  account: (rng) => `ACC-${digits(rng, 6)}`,
  po: (rng) => `PO-${digits(rng, 6)}`,
  contract: (rng) => `MSA-${intBetween(rng, 2019, 2025)}-${digits(rng, 3)}`,
  case: (rng) => `${intBetween(rng, 2024, 2025)}-CV-${digits(rng, 5)}`,
  version: (rng) => `${intBetween(rng, 1, 7)}.${intBetween(rng, 0, 19)}.${intBetween(rng, 0, 9)}`,
  number: (rng) => String(intBetween(rng, 2, 40)),
  seats: (rng) => String(pick(rng, [5, 10, 15, 20, 25, 40, 50, 75, 100, 150, 200, 300, 500, 1200])),
  percent: (rng) => String(pick(rng, [5, 8, 10, 12, 15, 20, 25, 30])),
  days: (rng) => String(intBetween(rng, 2, 15)),
  year: (rng) => String(intBetween(rng, 2016, 2024)),
  teamsize: (rng) => String(pick(rng, [6, 12, 18, 25, 40, 60, 85, 120, 250, 400, 900])),
  hours: (rng) => String(intBetween(rng, 2, 48)),
};

/** Names of every slot a template may use (without the optional trailing digit). */
export const SLOT_NAMES: readonly string[] = Object.keys(FILLERS);

const SLOT_PATTERN = /\{([a-z]+)(\d?)\}/g;

/** The per-message memory that keeps `{product}` the same product throughout one message. */
export type SlotValues = Map<string, string>;

/**
 * Replaces every `{slot}` of the template with a value, reusing the value already chosen for
 * that exact slot token in this message. Throws on an unknown slot name.
 */
export function fillSlots(template: string, rng: RandomGenerator, values: SlotValues): string {
  if (!template.includes('{')) return template;
  return template.replace(SLOT_PATTERN, (token: string, name: string) => {
    const known = values.get(token);
    if (known !== undefined) return known;
    const filler = FILLERS[name];
    if (filler === undefined) throw new RangeError(`unknown slot ${token} in "${template}"`);
    const value = filler(rng);
    values.set(token, value);
    return value;
  });
}
