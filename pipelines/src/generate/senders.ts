/**
 * Made-up senders: names, email addresses on company, free-mail and "VIP" domains, titles and
 * companies for signatures. Every domain and company here is invented.
 */
import type { Category } from './labels.js';
import { chance, intBetween, pick, pickWeighted, type RandomGenerator } from './random.js';
import { FIRST_NAMES, LAST_NAMES, OUR_COMPANY, OUR_DOMAIN } from './slots.js';

export type SenderKind = 'company' | 'freemail' | 'vip' | 'internal';

export interface Sender {
  readonly firstName: string;
  readonly lastName: string;
  readonly name: string;
  readonly email: string;
  readonly kind: SenderKind;
  /** The company the sender writes for, if any. */
  readonly company: string | undefined;
  readonly title: string;
  readonly phone: string;
}

const COMPANY_PREFIXES = [
  'North',
  'Blue',
  'Bright',
  'Silver',
  'Redwood',
  'Pine',
  'Iron',
  'Clear',
  'Summit',
  'Harbor',
  'Maple',
  'Cedar',
  'Lumen',
  'Nova',
  'Apex',
  'Vertex',
  'Quartz',
  'Willow',
  'Falcon',
  'Granite',
  'Coral',
  'Juniper',
];
const COMPANY_SUFFIXES = [
  'Logistics',
  'Analytics',
  'Foods',
  'Health',
  'Partners',
  'Labs',
  'Systems',
  'Retail',
  'Capital',
  'Media',
  'Energy',
  'Studios',
  'Consulting',
  'Robotics',
  'Works',
];
const COMPANY_TLDS = ['.com', '.com', '.io', '.co', '.net', '.de', '.co.uk', '.nl', '.fr'];
const FREEMAIL_DOMAINS = [
  'zephyrmail.com',
  'pigeonpost.net',
  'mailorca.com',
  'kestrelmail.org',
  'inboxfox.com',
  'quickpost.email',
];
const VIP_COMPANIES = [
  { name: 'BigCorp Enterprise', domain: 'bigcorp-enterprise.com' },
  { name: 'Globex Holdings', domain: 'globex-holdings-group.com' },
  { name: 'Megacorp International', domain: 'megacorp-intl.com' },
  { name: 'Fortuna Global Bank', domain: 'fortuna-global-bank.com' },
];
const GENERIC_TITLES = [
  'Operations Manager',
  'IT Administrator',
  'Office Manager',
  'Team Lead',
  'Project Manager',
  'Data Analyst',
  'Software Engineer',
  'Customer Success Manager',
  'Founder',
  'Managing Director',
  'Marketing Director',
  'Product Manager',
  'Head of Operations',
];
const CATEGORY_TITLES: Readonly<Record<Category, readonly string[]>> = {
  technical_support: ['IT Administrator', 'Systems Engineer', 'DevOps Engineer', 'CTO'],
  billing: ['Accounts Payable Specialist', 'Head of Finance', 'Finance Manager', 'Controller'],
  sales: ['Procurement Lead', 'Purchasing Manager', 'Head of Operations', 'COO'],
  hr: ['Account Executive', 'Backend Developer', 'Support Specialist', 'Designer'],
  legal: ['Legal Counsel', 'General Counsel', 'Data Protection Officer', 'Paralegal'],
  product_feedback: ['Product Manager', 'UX Designer', 'Team Lead', 'Power User'],
};

function domainOf(prefix: string, suffix: string, tld: string, hyphen: boolean): string {
  return `${prefix.toLowerCase()}${hyphen ? '-' : ''}${suffix.toLowerCase()}${tld}`;
}

function asciiLocal(name: string): string {
  return name.toLowerCase().replace(/[^a-z]/g, '');
}

function localPart(rng: RandomGenerator, first: string, last: string): string {
  const f = asciiLocal(first);
  const l = asciiLocal(last);
  switch (intBetween(rng, 0, 6)) {
    case 0:
      return `${f}.${l}`;
    case 1:
      return `${f.charAt(0)}${l}`;
    case 2:
      return `${f}${l.charAt(0)}`;
    case 3:
      return `${f}_${l}`;
    case 4:
      return f;
    case 5:
      return `${f}.${l}${intBetween(rng, 1, 99)}`;
    default:
      return `${l}.${f}`;
  }
}

function phoneNumber(rng: RandomGenerator): string {
  // Ranges reserved for fiction: NANP 555-01xx, UK 020 7946 0xxx.
  return chance(rng, 0.6)
    ? `+1 ${intBetween(rng, 201, 989)} 555 01${String(intBetween(rng, 0, 99)).padStart(2, '0')}`
    : `+44 20 7946 0${String(intBetween(rng, 0, 999)).padStart(3, '0')}`;
}

function senderKind(rng: RandomGenerator, category: Category): SenderKind {
  if (category === 'hr')
    return pickWeighted(rng, ['internal', 'freemail', 'company'] as const, [0.7, 0.25, 0.05]);
  return pickWeighted(
    rng,
    ['company', 'freemail', 'vip', 'internal'] as const,
    [0.6, 0.31, 0.07, 0.02],
  );
}

/** A made-up sender; HR inquiries mostly come from employees on the company's own domain. */
export function makeSender(rng: RandomGenerator, category: Category): Sender {
  const firstName = pick(rng, FIRST_NAMES);
  const lastName = pick(rng, LAST_NAMES);
  const kind = senderKind(rng, category);
  const local = localPart(rng, firstName, lastName);
  let company: string | undefined;
  let domain: string;
  if (kind === 'company') {
    const prefix = pick(rng, COMPANY_PREFIXES);
    const suffix = pick(rng, COMPANY_SUFFIXES);
    company = `${prefix} ${suffix}`;
    domain = domainOf(prefix, suffix, pick(rng, COMPANY_TLDS), chance(rng, 0.3));
  } else if (kind === 'vip') {
    const vip = pick(rng, VIP_COMPANIES);
    company = vip.name;
    domain = vip.domain;
  } else if (kind === 'internal') {
    company = OUR_COMPANY;
    domain = OUR_DOMAIN;
  } else {
    company = undefined;
    domain = pick(rng, FREEMAIL_DOMAINS);
  }
  const title = chance(rng, 0.4) ? pick(rng, CATEGORY_TITLES[category]) : pick(rng, GENERIC_TITLES);
  return {
    firstName,
    lastName,
    name: `${firstName} ${lastName}`,
    email: `${local}@${domain}`,
    kind,
    company,
    title,
    phone: phoneNumber(rng),
  };
}

/** A colleague of the sender: same company and email domain, different person. */
export function makeColleague(rng: RandomGenerator, sender: Sender): Sender {
  const firstName = pick(rng, FIRST_NAMES);
  const lastName = pick(rng, LAST_NAMES);
  const domain =
    sender.kind === 'freemail' ? pick(rng, FREEMAIL_DOMAINS) : (sender.email.split('@')[1] ?? '');
  return {
    ...sender,
    firstName,
    lastName,
    name: `${firstName} ${lastName}`,
    email: `${localPart(rng, firstName, lastName)}@${domain}`,
    title: pick(rng, GENERIC_TITLES),
    phone: phoneNumber(rng),
  };
}
