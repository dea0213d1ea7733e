/**
 * Turns written content into what arrives on each channel: an email (greeting, signature,
 * quoted reply, forward), a web form submission, a chat, or a phone call transcript, with the
 * subject line that goes with it and the surface noise of real messages.
 */
import { capitalize, type Content, type MessagePlan } from './compose.js';
import type { Channel } from './labels.js';
import {
  chance,
  intBetween,
  pick,
  pickIndexWeighted,
  pickWeighted,
  type RandomGenerator,
} from './random.js';
import { makeColleague, type Sender } from './senders.js';
import { FIRST_NAMES, fillSlots, OUR_COMPANY, type SlotValues } from './slots.js';
import { SUBJECT_URGENCY_PREFIXES } from './tone.js';
import {
  chatify,
  emailClosing,
  emailGreeting,
  forwardedMessage,
  injectTypos,
  quotedSupportReply,
  shoutWords,
  speechify,
} from './wrappers.js';

export interface RenderInput {
  readonly plan: MessagePlan;
  readonly content: Content;
  readonly channel: Channel;
  readonly sender: Sender;
  readonly receivedAt: Date;
  readonly slots: SlotValues;
}

export interface Rendered {
  readonly subject: string;
  readonly body: string;
}

/** Probability that a message has typos, and that it is written all in lowercase. */
const SLOPPINESS: Readonly<Record<Channel, { typos: number; lowercase: number }>> = {
  email: { typos: 0.25, lowercase: 0.04 },
  web_form: { typos: 0.3, lowercase: 0.05 },
  chat: { typos: 0.45, lowercase: 0.22 },
  phone_transcript: { typos: 0, lowercase: 0 },
};

const AGENT_PROBES = [
  'Okay, I see.',
  'Right, can you tell me a bit more?',
  'Mm-hm.',
  'Okay, let me pull up your account.',
  'I understand. Anything else I should know?',
  'Sure, go on.',
  'Okay, got it.',
  'Alright.',
];
const AGENT_WRAP_UPS = [
  "Alright, I've made a note of everything and someone will get back to you.",
  "Okay, I'll pass this on to the right team.",
  "Thanks for calling, we'll be in touch.",
  "Okay, I've opened a ticket for this.",
];
const CALL_OPENINGS = [
  "yeah so I'm calling about {topic}.",
  "hi, yeah, I'm calling because of {topic}.",
  "hello, um, it's about {topic}.",
  "yeah hi, so it's regarding {topic}.",
  "hi there, so, um, I'm calling about {topic}.",
  "yeah, hi. so I'm calling because I've got a question about {topic}.",
];
const CHAT_HELLOS = ['hi', 'hello', 'hey', 'hi there', 'good morning', 'hello?'];
const CHAT_BYES = ['thanks', 'ty', 'thx', 'thank you'];

function paragraphsText(content: Content): string {
  return content.map((paragraph) => paragraph.join(' ')).join('\n\n');
}

function sentencesOf(content: Content): string[] {
  return content.flat();
}

function pad2(value: number): string {
  return String(value).padStart(2, '0');
}

/** Typos and shouted words, applied to the sender's own sentences only. */
function roughen(rng: RandomGenerator, input: RenderInput): Content {
  const { plan, channel } = input;
  let content = input.content;
  if (chance(rng, SLOPPINESS[channel].typos)) {
    const rate = pick(rng, [0.015, 0.03, 0.05]);
    content = content.map((paragraph) => paragraph.map((s) => injectTypos(rng, s, rate)));
  }
  const agitated =
    plan.sentiment === 'negative' || plan.urgency === 'high' || plan.urgency === 'critical';
  if (channel !== 'phone_transcript' && chance(rng, agitated ? 0.14 : 0.03)) {
    const target = intBetween(rng, 0, content.length - 1);
    content = content.map((paragraph, index) => {
      if (index !== target) return paragraph;
      const sentence = intBetween(rng, 0, paragraph.length - 1);
      return paragraph.map((s, i) => (i === sentence ? shoutWords(rng, s) : s));
    });
  }
  return content;
}

function decorateSubject(rng: RandomGenerator, subject: string, input: RenderInput): string {
  const { urgency } = input.plan;
  const prefixP = { critical: 0.4, high: 0.2, medium: 0.02, low: 0.04 }[urgency];
  let decorated = subject;
  if (chance(rng, prefixP)) decorated = pick(rng, SUBJECT_URGENCY_PREFIXES[urgency]) + decorated;
  if (chance(rng, 0.05))
    decorated = `[Ticket ${fillSlots('{ticket}', rng, input.slots)}] ${decorated}`;
  if (chance(rng, 0.04)) decorated = injectTypos(rng, decorated, 0.1);
  return decorated;
}

function intentSubject(rng: RandomGenerator, input: RenderInput): string {
  return fillSlots(pick(rng, input.plan.intent.subjects), rng, input.slots);
}

/** At most max characters of text, cut at a word boundary. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return space > 0 ? cut.slice(0, space) : cut;
}

/** Subject of a very short message: often missing, or the message itself. */
function writeShortSubject(rng: RandomGenerator, input: RenderInput, text: string): string {
  switch (pickIndexWeighted(rng, [0.25, 0.35, 0.4])) {
    case 0:
      return '(no subject)';
    case 1:
      return clip(text.split('\n')[0] ?? text, 60);
    default:
      return decorateSubject(rng, intentSubject(rng, input), input);
  }
}

function renderEmail(rng: RandomGenerator, input: RenderInput, content: Content): Rendered {
  const { sender, plan } = input;
  const text = paragraphsText(content);
  if (plan.length === 'short') {
    const footer = pickWeighted(
      rng,
      ['', `- ${sender.firstName}`, sender.firstName, 'Sent from my iPhone'],
      [0.45, 0.2, 0.2, 0.15],
    );
    return {
      subject: writeShortSubject(rng, input, text),
      body: footer === '' ? text : `${text}\n\n${footer}`,
    };
  }
  const subject = decorateSubject(rng, intentSubject(rng, input), input);
  if (chance(rng, 0.05)) {
    const colleague = makeColleague(rng, sender);
    const sent = new Date(input.receivedAt.getTime() - intBetween(rng, 10, 600) * 60_000);
    const original = [emailGreeting(rng, colleague), text, emailClosing(rng, colleague)]
      .filter((part) => part !== undefined)
      .join('\n\n');
    return {
      subject: `${pick(rng, ['Fwd: ', 'FW: ', 'Fw: '])}${subject}`,
      body: forwardedMessage(rng, sender, { ...colleague, subject, body: original, sent }),
    };
  }
  const body = [emailGreeting(rng, sender), text, emailClosing(rng, sender)]
    .filter((part) => part !== undefined)
    .join('\n\n');
  if (chance(rng, 0.12)) {
    return {
      subject: `${pick(rng, ['Re: ', 'RE: ', 'Re: Re: '])}${subject}`,
      body: `${body}\n\n${quotedSupportReply(rng, sender, input.receivedAt)}`,
    };
  }
  return { subject, body };
}

function renderWebForm(rng: RandomGenerator, input: RenderInput, content: Content): Rendered {
  const { sender, plan } = input;
  const text = paragraphsText(content);
  const employee = plan.audience === 'employee';
  const subject =
    plan.length === 'short'
      ? writeShortSubject(rng, input, text)
      : chance(rng, 0.1)
        ? employee
          ? 'HR portal request'
          : 'Website contact form'
        : decorateSubject(rng, intentSubject(rng, input), input);
  if (chance(rng, 0.4)) {
    const fields = [`Name: ${sender.name}`, `Email: ${sender.email}`];
    if (employee)
      fields.push(`Department: ${capitalize(fillSlots('{department}', rng, input.slots))}`);
    else if (sender.company !== undefined) fields.push(`Company: ${sender.company}`);
    if (chance(rng, 0.35)) {
      const label = employee ? 'Employee ID' : 'Account ID';
      fields.push(`${label}: ${fillSlots('{account}', rng, input.slots)}`);
    }
    return { subject, body: `${fields.join('\n')}\n\nMessage:\n${text}` };
  }
  const greeting = chance(rng, 0.3) ? emailGreeting(rng, sender) : undefined;
  const thanks = chance(rng, 0.3) ? `Thanks,\n${sender.firstName}` : undefined;
  return {
    subject,
    body: [greeting, text, thanks].filter((part) => part !== undefined).join('\n\n'),
  };
}

function renderChat(rng: RandomGenerator, input: RenderInput, content: Content): Rendered {
  const { plan } = input;
  const lines: string[] = [];
  for (const sentence of sentencesOf(content).map((s) => chatify(rng, s))) {
    const previous = lines[lines.length - 1];
    if (previous !== undefined && chance(rng, 0.3)) {
      const glue = /[.?!]$/.test(previous) ? ' ' : pick(rng, ['. ', ' - ', ', ']);
      lines[lines.length - 1] = previous + glue + sentence;
    } else lines.push(sentence);
  }
  if (chance(rng, 0.55)) lines.unshift(pick(rng, CHAT_HELLOS));
  if (chance(rng, 0.25)) lines.push(pick(rng, CHAT_BYES));
  let body = lines.join('\n');
  if (chance(rng, 0.3)) {
    let minute = input.receivedAt.getUTCHours() * 60 + input.receivedAt.getUTCMinutes();
    body = lines
      .map((line) => {
        const stamp = `[${pad2(Math.floor(minute / 60) % 24)}:${pad2(minute % 60)}]`;
        minute += intBetween(rng, 0, 1);
        return `${stamp} ${line}`;
      })
      .join('\n');
  }
  const base =
    plan.length === 'short'
      ? writeShortSubject(rng, input, lines.join(' '))
      : intentSubject(rng, input);
  const subject = pickWeighted(rng, [`Chat: ${base}`, 'Live chat', base], [0.45, 0.3, 0.25]);
  return { subject, body };
}

function renderPhone(rng: RandomGenerator, input: RenderInput, content: Content): Rendered {
  const { plan, sender } = input;
  const agent = pick(rng, FIRST_NAMES);
  const caller = pick(rng, ['Caller', 'Customer', sender.firstName]);
  const topic = fillSlots(pick(rng, plan.intent.topics), rng, input.slots);
  const sentences = sentencesOf(content).map((s) => speechify(rng, s));
  const greeting =
    plan.audience === 'employee'
      ? `HR service desk, this is ${agent}, how can I help?`
      : `Thank you for calling ${OUR_COMPANY}, this is ${agent}, how can I help you today?`;
  const turns = [`Agent: ${greeting}`];
  let next = intBetween(rng, 1, 2);
  turns.push(
    `${caller}: ${[pick(rng, CALL_OPENINGS).replace('{topic}', topic), ...sentences.slice(0, next)].join(' ')}`,
  );
  while (next < sentences.length) {
    const take = intBetween(rng, 1, 3);
    turns.push(`Agent: ${pick(rng, AGENT_PROBES)}`);
    turns.push(`${caller}: ${sentences.slice(next, next + take).join(' ')}`);
    next += take;
  }
  turns.push(`Agent: ${pick(rng, AGENT_WRAP_UPS)}`);
  if (chance(rng, 0.5))
    turns.push(
      `${caller}: ${pick(rng, ['okay, thanks.', 'great, thank you, bye.', 'alright, bye.'])}`,
    );
  if (chance(rng, 0.4)) {
    const length = `${intBetween(rng, 1, 14)}:${pad2(intBetween(rng, 0, 59))}`;
    turns.unshift(`[Call transcript, duration ${length}, automatic transcription]`);
  }
  const base = intentSubject(rng, input);
  const subject = pickWeighted(
    rng,
    [`Phone call: ${base}`, `Inbound call - ${sender.name}`, 'Call transcript'],
    [0.5, 0.3, 0.2],
  );
  return { subject, body: turns.join('\n') };
}

/**
 * Subject and body of an inquiry as it arrives on its channel. Only the sender's own words are
 * roughened (typos, capitals); headers, quoted replies and agent lines stay clean, except that a
 * lowercase-only writer lowercases everything.
 */
export function renderInquiry(rng: RandomGenerator, input: RenderInput): Rendered {
  const content = roughen(rng, input);
  const rendered =
    input.channel === 'email'
      ? renderEmail(rng, input, content)
      : input.channel === 'web_form'
        ? renderWebForm(rng, input, content)
        : input.channel === 'chat'
          ? renderChat(rng, input, content)
          : renderPhone(rng, input, content);
  if (!chance(rng, SLOPPINESS[input.channel].lowercase)) return rendered;
  return {
    subject: chance(rng, 0.5) ? rendered.subject.toLowerCase() : rendered.subject,
    body: rendered.body.toLowerCase(),
  };
}
