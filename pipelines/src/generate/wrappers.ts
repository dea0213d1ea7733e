/**
 * Everything around the message content: greetings, sign-offs, signatures, quoted previous
 * replies, forwarded-message headers, and the surface noise of real inquiries (typos, shouted
 * words, spoken style for phone transcripts).
 */
import { chance, intBetween, pick, type RandomGenerator } from './random.js';
import type { Sender } from './senders.js';
import { FIRST_NAMES, MONTHS, OUR_COMPANY, OUR_DOMAIN } from './slots.js';

const EMAIL_GREETINGS = [
  'Hi,',
  'Hello,',
  'Hi team,',
  'Hello support team,',
  'Dear Sir or Madam,',
  `Dear ${OUR_COMPANY} team,`,
  'Good morning,',
  'Good afternoon,',
  'Hey there,',
  'To whom it may concern,',
  'Hi all,',
  'Dear support,',
];
const SIGN_OFFS = [
  'Thanks,',
  'Best regards,',
  'Kind regards,',
  'Cheers,',
  'Best,',
  'Regards,',
  'Many thanks,',
  'Thank you,',
  'Sincerely,',
  'Warm regards,',
  'Thx,',
];
const MOBILE_FOOTERS = ['Sent from my iPhone', 'Sent from my phone', 'Sent from my Android device'];
const AGENT_REPLIES = [
  'Thanks for reaching out. We have passed your request on to the relevant team.',
  'Could you send us a screenshot and the exact time this happened?',
  'We are looking into this and will get back to you shortly.',
  'Your request has been logged under ticket #{ticket}.',
  'Could you confirm which account this concerns?',
  'Thank you for your patience while we investigate.',
  'I have escalated this internally and will update you as soon as I hear back.',
  'Can you tell us a bit more about what you were trying to do?',
];
const FORWARD_LEADS = [
  'Forwarding this from {colleague} in our team, could you take a look?',
  'See below.',
  'Please see the message from my colleague below.',
  'Passing this on, {colleague} asked me to reach out to you.',
  'Forwarding as discussed.',
  'Can you help with the below?',
];
const WEEKDAY_ABBREVIATIONS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** An email greeting line, or undefined for a message that starts straight away. */
export function emailGreeting(rng: RandomGenerator, sender: Sender): string | undefined {
  if (chance(rng, 0.18)) return undefined;
  if (chance(rng, 0.12)) return `Hi ${pick(rng, FIRST_NAMES)},`;
  const greeting = pick(rng, EMAIL_GREETINGS);
  return sender.kind === 'internal' && chance(rng, 0.5) ? 'Hi HR team,' : greeting;
}

/** The closing block of an email: sign-off, name, sometimes a full signature or mobile footer. */
export function emailClosing(rng: RandomGenerator, sender: Sender): string {
  if (chance(rng, 0.08)) return pick(rng, MOBILE_FOOTERS);
  const lines: string[] = [];
  if (chance(rng, 0.88)) lines.push(pick(rng, SIGN_OFFS));
  const style = intBetween(rng, 0, 9);
  if (style <= 3) lines.push(sender.firstName);
  else if (style <= 6) lines.push(sender.name);
  else {
    lines.push(sender.name, sender.title);
    if (sender.company !== undefined) lines.push(sender.company);
    if (chance(rng, 0.6)) lines.push(sender.phone);
  }
  if (chance(rng, 0.06)) lines.push('', pick(rng, MOBILE_FOOTERS));
  return lines.join('\n');
}

function pad2(value: number): string {
  return String(value).padStart(2, '0');
}

/** "Mon, 3 Nov 2025 at 14:02", as mail clients write it above quoted replies (UTC). */
export function formatMailDate(date: Date): string {
  const weekday = WEEKDAY_ABBREVIATIONS[date.getUTCDay()] ?? 'Mon';
  const month = (MONTHS[date.getUTCMonth()] ?? 'January').slice(0, 3);
  return `${weekday}, ${date.getUTCDate()} ${month} ${date.getUTCFullYear()} at ${pad2(date.getUTCHours())}:${pad2(date.getUTCMinutes())}`;
}

/**
 * A previous reply from support, quoted below the new message, dated before `before`.
 * Either "> "-quoted under an "On … wrote:" line or an Outlook-style original-message block.
 */
export function quotedSupportReply(rng: RandomGenerator, sender: Sender, before: Date): string {
  const agent = `${pick(rng, FIRST_NAMES)} from ${OUR_COMPANY} Support`;
  const sent = new Date(before.getTime() - intBetween(rng, 2, 96) * 3_600_000);
  const reply = pick(rng, AGENT_REPLIES).replace(
    '{ticket}',
    String(intBetween(rng, 10000, 999999)),
  );
  const body = [`Hi ${sender.firstName},`, '', reply, '', 'Best,', agent];
  if (chance(rng, 0.7)) {
    const header = `On ${formatMailDate(sent)}, ${agent} <support@${OUR_DOMAIN}> wrote:`;
    return [header, ...body.map((line) => (line === '' ? '>' : `> ${line}`))].join('\n');
  }
  return [
    '-----Original Message-----',
    `From: ${OUR_COMPANY} Support <support@${OUR_DOMAIN}>`,
    `Sent: ${formatMailDate(sent).replace(' at ', ' ')}`,
    `To: ${sender.email}`,
    '',
    ...body,
  ].join('\n');
}

/** A "Forwarded message" block introduced by the forwarder's own short note. */
export function forwardedMessage(
  rng: RandomGenerator,
  forwarder: Sender,
  original: { name: string; email: string; subject: string; body: string; sent: Date },
): string {
  const lead = pick(rng, FORWARD_LEADS).replace('{colleague}', original.name.split(' ')[0] ?? '');
  return [
    lead,
    '',
    forwarder.firstName,
    '',
    '---------- Forwarded message ---------',
    `From: ${original.name} <${original.email}>`,
    `Date: ${formatMailDate(original.sent)}`,
    `Subject: ${original.subject}`,
    `To: ${forwarder.name} <${forwarder.email}>`,
    '',
    original.body,
  ].join('\n');
}

const TYPO_WORD = /[A-Za-z]{4,}/g;

function misspell(rng: RandomGenerator, word: string): string {
  const at = intBetween(rng, 1, word.length - 2);
  switch (intBetween(rng, 0, 2)) {
    case 0:
      return word.slice(0, at) + word.charAt(at + 1) + word.charAt(at) + word.slice(at + 2);
    case 1:
      return word.slice(0, at) + word.slice(at + 1);
    default:
      return word.slice(0, at + 1) + word.slice(at);
  }
}

/** Swaps, drops or doubles a letter inside words of 4+ letters, each with probability rate. */
export function injectTypos(rng: RandomGenerator, text: string, rate: number): string {
  return text.replace(TYPO_WORD, (word) => (chance(rng, rate) ? misspell(rng, word) : word));
}

const EMPHASIS_WORD =
  /\b(not|never|still|again|now|today|all|every|nothing|urgent|immediately|really|please|cannot|no|twice|wrong)\b/gi;

/** Writes one or two words in capitals, preferring words people emphasise ("NOT", "AGAIN"). */
export function shoutWords(rng: RandomGenerator, text: string): string {
  const candidates = [...text.matchAll(EMPHASIS_WORD)];
  const pool = candidates.length > 0 ? candidates : [...text.matchAll(/\b[a-z]{4,}\b/g)];
  if (pool.length === 0) return text;
  let result = text;
  const shouts = chance(rng, 0.3) ? 2 : 1;
  for (let count = 0; count < shouts; count++) {
    const match = pick(rng, pool);
    const start = match.index;
    const word = match[0];
    result = result.slice(0, start) + word.toUpperCase() + result.slice(start + word.length);
  }
  return result;
}

const CONTRACTIONS: readonly (readonly [RegExp, string])[] = [
  [/\bI am\b/g, "I'm"],
  [
    /\b(I|[Ww]e) have (?=(been|not|already|tried|checked|attached|had|used|received|sent)\b)/g,
    "$1've ",
  ],
  [/\b([Dd])o not\b/g, "$1on't"],
  [/\b([Dd])oes not\b/g, "$1oesn't"],
  [/\b([Dd])id not\b/g, "$1idn't"],
  [/\b([Cc])annot\b/g, "$1an't"],
  [/\bis not\b/g, "isn't"],
  [/\b([Ww])e are\b/g, "$1e're"],
  [/\b([Ii])t is\b/g, "$1t's"],
  [/\b(I|[Ww]e) would like\b/g, "$1'd like"],
];

/** Informal contractions ("I am" → "I'm"), as in chats and speech. */
export function contract(text: string): string {
  let result = text;
  for (const [pattern, replacement] of CONTRACTIONS) result = result.replace(pattern, replacement);
  return result;
}

/** Lowercases the first letter, except for "I", acronyms and product names. */
export function lowerFirst(text: string): string {
  if (/^(I\b|[A-Z]{2,}|[A-Z]\w*[A-Z]|[A-Z][a-z]+ [A-Z][a-z])/.test(text)) return text;
  return text.charAt(0).toLowerCase() + text.slice(1);
}

const SPEECH_OPENERS = [
  'um, ',
  'uh, ',
  'so ',
  'and, uh, ',
  'yeah, ',
  'like, ',
  'basically ',
  'and ',
  'you know, ',
];

/** A written sentence as it sounds in a transcript: contractions, fillers, trailing off. */
export function speechify(rng: RandomGenerator, sentence: string): string {
  let spoken = lowerFirst(contract(sentence));
  if (chance(rng, 0.25)) spoken = spoken.replace(', ', ', um, ');
  if (chance(rng, 0.45)) spoken = pick(rng, SPEECH_OPENERS) + spoken;
  if (chance(rng, 0.3)) spoken = spoken.replace(/[.!]$/, '...');
  return spoken;
}

/** A sentence as typed in a chat: contractions, often no capital and no final period. */
export function chatify(rng: RandomGenerator, sentence: string): string {
  let typed = contract(sentence);
  if (chance(rng, 0.45)) typed = lowerFirst(typed);
  if (chance(rng, 0.55)) typed = typed.replace(/\.$/, '');
  return typed;
}
