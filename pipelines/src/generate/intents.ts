/**
 * What inquiries are about: for every category, many intents, each with its own subject lines,
 * sentence pools and slots. Sentences here are kept free of tone and urgency on purpose:
 * sentiment and urgency are added from tone.ts, so that they come from the text and vary
 * independently of the topic. An intent may narrow the labels it plausibly carries.
 */
import type { Category, SentimentWeights, UrgencyWeights } from './labels.js';

export interface Intent {
  readonly name: string;
  /** Noun phrases that complete "I'm calling about …". */
  readonly topics: readonly string[];
  readonly subjects: readonly string[];
  /** Opening statements of the problem or request. */
  readonly problems: readonly string[];
  /** Supporting sentences; a message takes one or several. */
  readonly details: readonly string[];
  /** What the sender asks for. */
  readonly asks: readonly string[];
  /** Whole messages of a few words, for the very short inquiries. */
  readonly shorts: readonly string[];
  /** Overrides the category's sentiment weights when the topic carries a tone of its own. */
  readonly sentiment?: SentimentWeights;
  /** Overrides the category's urgency weights when the topic is inherently (un)pressing. */
  readonly urgency?: UrgencyWeights;
  /** Context sentences for long messages, when the generic customer context does not fit. */
  readonly background?: readonly string[];
  /** Implicit cues of high or critical urgency that only make sense for this topic. */
  readonly cues?: { readonly high?: readonly string[]; readonly critical?: readonly string[] };
}

/** A topic that honestly belongs to two categories; its label is either of them. */
export interface AmbiguousIntent extends Intent {
  readonly categories: readonly [Category, Category];
}

const TECHNICAL_SUPPORT: readonly Intent[] = [
  {
    name: 'login_failure',
    topics: ['a login problem', 'not being able to sign in', 'my account login'],
    subjects: [
      'Cannot log in to {product}',
      'Login not working',
      'Sign-in fails with {error}',
      'Locked out of my account',
      'Problem signing in since the update',
      'Login loop on {browser}',
    ],
    problems: [
      'I cannot log in to {product} anymore.',
      'Every time I try to sign in I get the error {error}.',
      'Since {weekday} my login to {product} keeps failing.',
      'After entering my password the login page just reloads and I end up where I started.',
      'Several people on my team are unable to sign in to {product}.',
    ],
    details: [
      'I have tried {browser} and another browser with the same result.',
      'Clearing the cache and cookies did not change anything.',
      'My username is the same email address I am writing from.',
      'The error message says "{error}" and nothing else.',
      'It worked fine until {duration} ago.',
      'We use single sign-on through our identity provider, if that matters.',
      'I also tried from my phone on {os} and it fails there too.',
    ],
    asks: [
      'Could you check whether something is wrong with my account?',
      'Can you help me get back into my account?',
      'Please let me know what I need to do to sign in again.',
      'Could someone look into why the login fails?',
    ],
    shorts: ['cant log in', 'login broken on {browser}', 'sign in fails with {error}'],
  },
  {
    name: 'api_errors',
    topics: ['errors from your API', 'the API returning errors', 'our API integration'],
    subjects: [
      'API returning {error}',
      '{product} API errors',
      'Intermittent {error} responses from the API',
      'API calls failing since version {version}',
      'Problem with the /v2 endpoints',
    ],
    problems: [
      'Our calls to the {product} API started returning {error}.',
      'Roughly one in {number} API requests fails with {error}.',
      'Since we upgraded the SDK to version {version} the API rejects our requests.',
      'The API returns an empty response body for requests that worked last month.',
    ],
    details: [
      'The request ID from the last failure is {ticket}.',
      'We are well below the documented rate limits.',
      'Our API key has not changed and it still shows as active in the console.',
      'The failures are spread over the whole day, not just peak hours.',
      'We can reproduce it with a plain curl request, so it is not our client library.',
      'The same payload succeeds in the sandbox environment.',
      'Retrying the request usually works on the second or third attempt.',
    ],
    asks: [
      'Can you check your logs for these requests?',
      'Could you tell us whether anything changed on your side?',
      'Please advise how we should handle these errors.',
      'Could an engineer look at the request IDs above?',
    ],
    shorts: ['api throwing {error} again', 'getting {error} from the api', 'api down?'],
  },
  {
    name: 'data_sync',
    topics: ['data not syncing', 'a sync problem', 'missing records after a sync'],
    subjects: [
      'Data not syncing',
      'Sync stuck at {percent}%',
      '{product} sync missing records',
      'Records out of date after sync',
      'Duplicate entries after sync',
    ],
    problems: [
      'Our data stopped syncing between {product} and {integration}.',
      'The last successful sync was {duration} ago and it has been stuck since.',
      'After the nightly sync about {number} records are missing.',
      'The sync creates duplicate entries for every contact we update.',
      'Changes we make in {integration} no longer show up in {product}.',
    ],
    details: [
      'The sync status page shows {error} without any further explanation.',
      'We have not changed any settings on our side.',
      'Triggering a manual sync does not help.',
      'It only seems to affect records created after {date}.',
      'The connection test in the settings page passes.',
      'We have around {number} thousand records in total.',
    ],
    asks: [
      'Can you check what is blocking the sync?',
      'Could you re-run the sync from your side or tell us how to fix it?',
      'Please help us get the missing records back.',
      'Is there a way to see which records failed and why?',
    ],
    shorts: ['sync stuck again', 'data not syncing with {integration}', 'sync failing {error}'],
  },
  {
    name: 'outage',
    topics: ['the outage', '{product} being down', 'the service not loading at all'],
    subjects: [
      '{product} is down',
      'Service unavailable',
      'Outage? Nothing loads',
      'Complete outage for our workspace',
      'Everything returns {error}',
    ],
    problems: [
      '{product} is not loading at all for anyone in our company.',
      'The whole application returns {error} for every user.',
      'Our workspace has been unreachable for {duration}.',
      'None of our users can reach {product} right now.',
    ],
    details: [
      'Your status page still says all systems are operational.',
      'We checked from different networks and locations, including our office in {city}.',
      'It started around {hours}:00 our time.',
      'The mobile app shows the same error as the web version.',
      'Our own infrastructure is fine, other services load normally.',
    ],
    asks: [
      'Can you confirm whether there is an outage and when it will be fixed?',
      'Please let us know what is going on.',
      'We need an update on the status of the service.',
      'Could you escalate this to your on-call engineers?',
    ],
    shorts: ['is {product} down??', 'everything down for us', 'site not loading at all'],
    cues: { critical: ['None of our {number} locations can process anything right now.'] },
    urgency: [0, 0.05, 0.35, 0.6],
  },
  {
    name: 'slow_performance',
    topics: ['the app being very slow', 'performance problems', 'slow page loads'],
    subjects: [
      '{product} very slow',
      'Performance issues since last week',
      'Pages take forever to load',
      'Slow reports',
      'Dashboard loading times',
    ],
    problems: [
      '{product} has become very slow for our team.',
      'Loading a single report now takes more than a minute.',
      'Since the update to {version}, every page in {product} takes several seconds to load.',
      'Searching in {product} times out more often than not.',
    ],
    details: [
      'It is worse in the mornings between 9 and 11.',
      'Our internet connection is fast and other tools work normally.',
      'We have about {number} users working in the same workspace.',
      'The browser console shows requests waiting for up to {number} seconds.',
      'Smaller workspaces seem to be less affected.',
      'The slowness started after we imported the data from {integration}.',
    ],
    asks: [
      'Could you look into what is slowing things down?',
      'Is there anything we can change on our side to speed it up?',
      'Please check whether our workspace has a performance problem.',
    ],
    shorts: ['app super slow today', 'reports take ages to load', 'everything is slow'],
  },
  {
    name: 'mobile_crash',
    topics: ['the mobile app crashing', 'crashes on my phone', 'the app closing on start'],
    subjects: [
      'Mobile app crashes on launch',
      '{product} app keeps crashing',
      'Crash on {os}',
      'App closes when I open a report',
      'Android app crash after update',
    ],
    problems: [
      'The {product} app crashes as soon as I open it.',
      'Since updating to version {version} the mobile app closes whenever I open a report.',
      'The app freezes and then crashes on my {device}.',
      'The mobile app crashes every time I try to upload a photo.',
    ],
    details: [
      'I am on {os} with a {device}.',
      'Reinstalling the app did not help.',
      'Colleagues with older phones have the same problem.',
      'The web version works fine on the same account.',
      'I sent a crash report from the phone around {hours}:00.',
      'It started right after the last app update.',
    ],
    asks: [
      'Is this a known issue and is a fix planned?',
      'Could you tell me if there is a workaround?',
      'Please let me know if you need logs from the phone.',
    ],
    shorts: ['app crashes on {os}', 'mobile app keeps crashing', 'app closes on start'],
  },
  {
    name: 'integration_broken',
    topics: ['the {integration} integration', 'a broken integration', 'our connector setup'],
    subjects: [
      '{integration} integration stopped working',
      'Problem connecting {integration}',
      'Webhook not firing',
      'Integration error {error}',
      'Connector disconnected',
    ],
    problems: [
      'Our {integration} integration stopped working.',
      'The webhooks to our endpoint are no longer being sent.',
      'When I try to connect {integration} I get {error} after the authorisation step.',
      'The connector to {integration} disconnects itself every few hours.',
    ],
    details: [
      'We reconnected it twice but it fails again after a while.',
      'Our endpoint responds with 200 when we call it manually.',
      'The integration log shows {error}.',
      'It was set up by a colleague who has since left, so I am not sure of every setting.',
      'We rely on this integration to create invoices automatically.',
      'The token was renewed on {date}.',
    ],
    asks: [
      'Could you check the integration logs on your side?',
      'Can you walk me through reconnecting it properly?',
      'Please let us know whether this is a known problem with {integration}.',
    ],
    shorts: ['{integration} connector broken', 'webhooks not firing', 'integration error {error}'],
  },
  {
    name: 'password_reset',
    topics: ['a password reset', 'the reset email', 'resetting my password'],
    subjects: [
      'Password reset email not arriving',
      'Cannot reset password',
      'Reset link expired',
      'Password reset not working',
    ],
    problems: [
      'I requested a password reset but the email never arrives.',
      'The password reset link says it has expired as soon as I open it.',
      'I forgot my password and the reset form does not accept my email address.',
      'After resetting my password I still cannot log in with the new one.',
    ],
    details: [
      'I have checked the spam folder.',
      'I tried several times over the last few days.',
      'My colleague {colleague} got the reset email without any problem.',
      'Our mail server might filter external links, I am not sure.',
      'The account was created with my old email address.',
    ],
    asks: [
      'Could you send me a new reset link?',
      'Can you reset the password for me manually?',
      'Please let me know how I can regain access.',
    ],
    shorts: ['reset email not arriving', 'need a password reset', 'reset link expired'],
  },
  {
    name: 'export_broken',
    topics: ['exporting data', 'the export feature', 'a broken export'],
    subjects: [
      'Export not working',
      'CSV export empty',
      'PDF export fails',
      'Export stuck at {percent}%',
      'Cannot download export',
    ],
    problems: [
      'Exporting our data to CSV produces an empty file.',
      'The PDF export of our monthly report fails with {error}.',
      'The export job has been stuck at {percent}% for {duration}.',
      'When I download the export, special characters are garbled.',
    ],
    details: [
      'Smaller exports with only a few rows still work.',
      'We need the export for our {department} team.',
      'The export includes around {number} thousand rows.',
      'We tried both the CSV and the Excel format.',
      'It worked for our previous export on {date}.',
    ],
    asks: [
      'Could you check why the export fails?',
      'Is there another way to get our data out?',
      'Can you run the export for us?',
    ],
    shorts: ['export broken', 'csv export empty', 'export fails with {error}'],
  },
  {
    name: 'account_security',
    topics: [
      'suspicious logins',
      'a possibly compromised account',
      'unknown activity on our account',
    ],
    subjects: [
      'Suspicious login activity',
      'Account possibly compromised',
      'Unknown device logged in',
      'Unauthorised changes in our workspace',
    ],
    problems: [
      'We noticed logins to our account from a location we do not recognise.',
      'Someone changed the admin settings in our workspace and nobody here did it.',
      'I received a two-factor code that I did not request.',
      'The audit log shows an API key being created by a user who was deactivated.',
    ],
    details: [
      'The login came from {country} and nobody on our team is there.',
      'We have already rotated our passwords.',
      'The activity happened around {hours}:00 on {date}.',
      'Two-factor authentication is enabled for all our users.',
      'We have revoked the API key we did not recognise.',
    ],
    asks: [
      'Can you tell us what this account accessed?',
      'Please lock the account until we understand what happened.',
      'Could your security team investigate?',
    ],
    shorts: [
      'someone logged into our account??',
      'possible account breach',
      'unknown login from {country}',
    ],
    cues: {
      critical: [
        'We may be dealing with a security breach right now.',
        'Whoever this is may still have access to our customer data.',
      ],
    },
    urgency: [0, 0.1, 0.4, 0.5],
  },
  {
    name: 'notifications',
    topics: ['notification emails', 'alerts not arriving', 'missing notifications'],
    subjects: [
      'Notifications not arriving',
      'No email alerts',
      'Push notifications stopped',
      'Reminder emails missing',
    ],
    problems: [
      'We stopped receiving email notifications from {product}.',
      'Push notifications on the mobile app no longer arrive.',
      'Scheduled reports are no longer delivered to our inbox.',
      'Some users receive notifications twice and others not at all.',
    ],
    details: [
      'Notification settings are switched on for all of us.',
      'The last notification we received was on {date}.',
      'Our IT team confirmed nothing is blocked by our mail filter.',
      'It affects roughly {number} people in the {department} team.',
    ],
    asks: [
      'Could you check whether the emails are being sent?',
      'Please let us know how to get the notifications working again.',
    ],
    shorts: ['no notifications since {weekday}', 'alerts not arriving'],
  },
];

const BILLING: readonly Intent[] = [
  {
    name: 'wrong_invoice',
    topics: ['an incorrect invoice', 'invoice {invoice}', 'the amount on my invoice'],
    subjects: [
      'Incorrect invoice {invoice}',
      'Wrong amount on invoice',
      'Invoice {invoice} does not match our plan',
      'Question about invoice {invoice}',
      'Invoice error',
    ],
    problems: [
      'Invoice {invoice} shows {amount}, but our plan should cost {amount2}.',
      'We were invoiced for {seats} seats although we only have {number} users.',
      'The invoice we received this month includes add-ons we never ordered.',
      'Our latest invoice lists the wrong company name and address.',
      'Invoice {invoice} is billed at the {plan} rate, but we are on the Starter plan.',
    ],
    details: [
      'We changed our plan on {date}.',
      'The invoice also shows a discount that was supposed to be applied but is missing.',
      'Our agreed price is documented in the order form from last year.',
      'Our accounts payable team cannot approve it as it is.',
      'Previous invoices were correct.',
      'The line items for {month} appear twice.',
    ],
    asks: [
      'Could you send a corrected invoice?',
      'Please review the invoice and issue a credit note for the difference.',
      'Can you explain how this amount was calculated?',
    ],
    shorts: ['invoice wrong again', 'invoice {invoice} incorrect', 'wrong amount on my bill'],
  },
  {
    name: 'double_charge',
    topics: ['a double charge', 'being charged twice', 'a duplicate payment'],
    subjects: [
      'Charged twice',
      'Duplicate charge on my card',
      'Double payment for {month}',
      'Two charges of {amount}',
    ],
    problems: [
      'My card was charged twice for the same subscription this month.',
      'I see two charges of {amount} on our company card on {date}.',
      'We paid invoice {invoice} by bank transfer and the card on file was charged as well.',
      'The renewal went through twice.',
    ],
    details: [
      'Both charges show the same reference number.',
      'I have attached a screenshot of our bank statement.',
      'Only one invoice appears in our billing history.',
      'This card is also used for other company expenses.',
    ],
    asks: [
      'Please refund the duplicate charge.',
      'Could you confirm when the second payment will be returned?',
      'Can you check your payment records and reverse one of the charges?',
    ],
    shorts: ['charged twice for {month}', 'double charge on my card', 'two payments of {amount}?'],
  },
  {
    name: 'refund',
    topics: ['a refund', 'getting my money back', 'the refund you promised'],
    subjects: [
      'Refund request',
      'Refund for unused subscription',
      'Where is my refund?',
      'Request for reimbursement of {amount}',
    ],
    problems: [
      'I would like a refund for the annual plan I bought on {date}.',
      'I was promised a refund of {amount} and it has not arrived yet.',
      'We cancelled within the trial period but were still charged {amount}.',
      'We only used the service for {duration} before cancelling.',
    ],
    details: [
      'The cancellation confirmation is from {date}.',
      'Your colleague confirmed the refund in ticket {ticket}.',
      'The payment was made with a card ending in {number}.',
      'The refund was supposed to take five business days.',
    ],
    asks: [
      'Could you process the refund?',
      'Please tell me when I can expect the money back.',
      'Can you confirm the refund has been issued?',
    ],
    shorts: ['still waiting on my refund', 'want a refund', 'refund of {amount} not received'],
  },
  {
    name: 'payment_method',
    topics: ['updating our card', 'our payment method', 'a declined payment'],
    subjects: [
      'Update payment method',
      'Card declined',
      'Change billing card',
      'Pay by bank transfer instead of card',
    ],
    problems: [
      'Our payment failed because the card on file has expired.',
      'I need to change the credit card we use for {product}.',
      'We would like to switch from card payments to bank transfer.',
      'The billing page gives an error when I try to add a new card.',
    ],
    details: [
      'The new card is a corporate card issued in {country}.',
      'Our finance department requires invoices with bank transfer details.',
      'The error on the billing page says {error}.',
      'The account is {account}.',
    ],
    asks: [
      'Could you tell me how to update it?',
      'Please make sure our service is not interrupted in the meantime.',
      'Can you switch our account to invoice payment?',
    ],
    shorts: ['card declined, how do i update it', 'need to change billing card'],
  },
  {
    name: 'vat_tax',
    topics: ['VAT on our invoices', 'sales tax', 'our tax ID'],
    subjects: [
      'VAT number missing on invoice',
      'Tax charged incorrectly',
      'Reverse charge VAT',
      'Sales tax question',
    ],
    problems: [
      'Our invoices are missing our VAT number.',
      'You charged VAT although we are a business in {country} and reverse charge should apply.',
      'The sales tax on invoice {invoice} seems to be calculated for the wrong state.',
      'We need our tax exemption certificate applied to the account.',
    ],
    details: [
      'Our VAT ID is in the billing settings since {date}.',
      'Our auditors flagged the last {number} invoices.',
      'The tax charged on the last invoice was {amount}.',
      'We are a registered non-profit organisation.',
    ],
    asks: [
      'Could you reissue the invoices with the correct tax?',
      'Please add our VAT number to future invoices.',
      'Can you refund the tax that was charged?',
    ],
    shorts: ['vat missing on invoice', 'why are we charged sales tax?'],
  },
  {
    name: 'plan_downgrade',
    topics: ['downgrading our plan', 'moving to a smaller plan', 'reducing our seats'],
    subjects: [
      'Downgrade to {plan}',
      'Reduce number of seats',
      'Change plan',
      'Switch from annual to monthly',
    ],
    problems: [
      'We would like to downgrade from the {plan} plan to the Starter plan.',
      'Our team has shrunk and we need to reduce our seats to {number}.',
      'We want to switch from annual billing to monthly.',
      'I downgraded our plan but the next invoice still shows the old price.',
    ],
    details: [
      'Our renewal date is {date}.',
      'We no longer need the advanced reporting features.',
      'I could not find the option in the billing settings.',
      'Budget cuts in our {department} department are the reason.',
    ],
    asks: [
      'Could you make the change for us?',
      'Please confirm what we will be charged after the downgrade.',
      'Will we lose any data if we downgrade?',
    ],
    shorts: ['how do i downgrade', 'need fewer seats', 'switch us to monthly please'],
  },
  {
    name: 'receipt',
    topics: ['a receipt', 'copies of our invoices', 'payment confirmation'],
    subjects: [
      'Receipt for payment',
      'Need invoice copies',
      'Payment confirmation for {month}',
      'Receipts for {year}',
    ],
    problems: [
      'I need a receipt for our payment of {amount}.',
      'Could you send copies of all invoices from {year}?',
      'Our accountant needs a payment confirmation for invoice {invoice}.',
      'I cannot download receipts from the billing page.',
    ],
    details: [
      'It is for our year-end bookkeeping.',
      'The download button gives {error}.',
      'Please address them to our {department} department.',
      'A PDF would be ideal.',
    ],
    asks: [
      'Could you email them to me?',
      'Please send the receipts to this address.',
      'Can you tell me where to find them?',
    ],
    shorts: ['need receipt for {month}', 'pls send invoice copy'],
    urgency: [0.45, 0.4, 0.13, 0.02],
  },
  {
    name: 'unexpected_renewal',
    topics: ['an unexpected renewal', 'auto-renewal', 'a charge after cancelling'],
    subjects: [
      'Unexpected renewal charge',
      'Charged after cancellation',
      'Auto-renewal without notice',
      'Why was I charged {amount}?',
    ],
    problems: [
      'Our subscription renewed automatically although we cancelled it on {date}.',
      'We were charged {amount} for a renewal we did not expect.',
      'There was no reminder before the annual renewal.',
      'I cancelled last month but you charged us again.',
    ],
    details: [
      'I have the cancellation confirmation email.',
      'The account has not been used since {month}.',
      'The renewal price is higher than last year.',
      'Our contract does not mention automatic renewal.',
    ],
    asks: [
      'Please cancel the renewal and refund the charge.',
      'Could you explain why we were charged?',
      'Can you confirm the subscription is now cancelled?',
    ],
    shorts: ['charged after cancelling??', 'why did it auto renew'],
  },
  {
    name: 'invoice_details',
    topics: ['the details on our invoices', 'adding a PO number', 'our billing address'],
    subjects: [
      'Add PO number to invoice',
      'Change billing address',
      'Invoice recipient change',
      'Company name on invoices',
    ],
    problems: [
      'Our finance team needs purchase order number {po} on every invoice.',
      'Our billing address has changed and invoices still go to the old one.',
      'Invoices should be sent to our accounts payable mailbox instead of to me.',
      'Our company name changed after a merger.',
    ],
    details: [
      'The new address is in {city}.',
      'Without the PO number the invoices are rejected by our system.',
      'The change applies from {date}.',
      'Invoice {invoice} should also be reissued.',
    ],
    asks: [
      'Could you update our billing details?',
      'Please reissue the last invoice with the new details.',
      'Let me know if you need any documents for the change.',
    ],
    shorts: ['pls add po {po} to invoices', 'billing address changed'],
    urgency: [0.45, 0.4, 0.12, 0.03],
  },
];

const SALES: readonly Intent[] = [
  {
    name: 'pricing_question',
    topics: ['your pricing', 'the cost of your plans', 'what the {plan} plan costs'],
    subjects: [
      'Pricing question',
      'How much is the {plan} plan?',
      'Question about plans',
      'Pricing for {seats} users',
      'Cost of {product}',
    ],
    problems: [
      'I would like to know how much the {plan} plan would cost for {seats} users.',
      'Your website does not show the price for {product}.',
      'We are comparing plans and I am not sure which one includes {feature}.',
      'Is the price on your website per user or per workspace?',
    ],
    details: [
      'We are a team of {teamsize} people in {city}.',
      'We are currently evaluating a few tools.',
      'We would pay annually if there is a discount for that.',
      'We mainly need {feature} and the integration with {integration}.',
      'Our budget for this is set for the next quarter.',
    ],
    asks: [
      'Could you send me a price overview?',
      'Can someone from sales contact me?',
      'Please let me know the options.',
    ],
    shorts: ['how much for {seats} users?', 'price of {plan} plan?', 'pricing pls'],
  },
  {
    name: 'enterprise_quote',
    topics: ['an enterprise quote', 'a quote for our company', 'enterprise licensing'],
    subjects: [
      'Enterprise quote request',
      'Quote for {seats} seats',
      'Enterprise plan for {teamsize} employees',
      'Request for proposal',
    ],
    problems: [
      'We are looking for a quote for the Enterprise plan for about {seats} users.',
      'Our company plans to roll out {product} to all {teamsize} employees.',
      'We need a formal quote to present to our management.',
      'We are preparing a tender and would like to include your platform.',
    ],
    details: [
      'We need single sign-on and an uptime guarantee.',
      'The rollout would start in {month}.',
      'Our offices are in {city} and {city2}.',
      'We would need a dedicated account manager.',
      'Data residency in the EU is a requirement for us.',
    ],
    asks: [
      'Could you send us a quote?',
      'Can we schedule a call with your enterprise team?',
      'Please let me know what information you need from us.',
    ],
    shorts: ['need enterprise quote for {seats} seats', 'quote please'],
    cues: { high: ['Our board decides on the budget tomorrow.'] },
  },
  {
    name: 'demo_request',
    topics: ['a product demo', 'seeing the product in action', 'a walkthrough for our team'],
    subjects: [
      'Demo request',
      'Schedule a demo of {product}',
      'Product walkthrough',
      'Can we see a demo?',
    ],
    problems: [
      'We would like to see a demo of {product}.',
      'Could we book a walkthrough of {feature} for our team?',
      'Our {department} team is interested in {product} and would like a live demo.',
      'I saw your webinar and would like a personal demo.',
    ],
    details: [
      'We are free on {weekday} afternoons.',
      'About {number} people would join the call.',
      'We are based in {city}, so mornings work best for us.',
      'We are currently using {competitor}.',
    ],
    asks: [
      'Please suggest a few time slots.',
      'Could someone reach out to set this up?',
      'Let me know how to book a slot.',
    ],
    shorts: ['can we get a demo?', 'demo of {product} pls'],
  },
  {
    name: 'volume_discount',
    topics: ['a volume discount', 'pricing for a large team', 'discounts for more seats'],
    subjects: [
      'Volume discount',
      'Discount for {seats}+ seats',
      'Bulk licensing',
      'Better price for multi-year contract',
    ],
    problems: [
      'We would like to know whether you offer a volume discount for {seats} seats.',
      'If we sign a three-year contract, is a better price possible?',
      'We are expanding from {number} to {seats} users and would like to discuss pricing.',
      'Our partner company uses your product and got a {percent}% discount.',
    ],
    details: [
      'We are currently on the {plan} plan.',
      'Our procurement team expects at least {percent}% off list price.',
      'We could commit to annual prepayment.',
      'We are also considering {competitor}.',
    ],
    asks: [
      'Could you send an offer?',
      'Can we discuss this on a call?',
      'Please tell me what discounts are possible.',
    ],
    shorts: ['volume discount for {seats} seats?', 'any discount for 3 years?'],
  },
  {
    name: 'trial_extension',
    topics: ['extending our trial', 'the trial period', 'more time to evaluate'],
    subjects: [
      'Trial extension',
      'Extend our trial',
      'More time for evaluation',
      'Trial ending on {date}',
    ],
    problems: [
      'Our trial of {product} ends on {date} and we have not finished the evaluation.',
      'We would like to extend our trial by {days} days.',
      'Several colleagues only joined the trial recently.',
      'We could not test {feature} during the trial because of our holiday season.',
    ],
    details: [
      'We are seriously considering buying the {plan} plan.',
      'Our decision meeting is on {date2}.',
      'We need more time to test the {integration} integration.',
      'We are {teamsize} people and several teams want to try it.',
    ],
    asks: [
      'Could you extend the trial?',
      'Is it possible to keep our trial data if we buy later?',
      'Please let me know if that is possible.',
    ],
    shorts: ['can u extend our trial?', 'trial ends {date}, need more time'],
  },
  {
    name: 'procurement_paperwork',
    topics: ['vendor onboarding paperwork', 'a security questionnaire', 'procurement documents'],
    subjects: [
      'Vendor registration forms',
      'Security questionnaire for procurement',
      'Documents needed for purchase order',
      'Supplier onboarding',
    ],
    problems: [
      'Before we can issue purchase order {po}, we need you to complete our vendor registration.',
      'Our procurement department requires a completed security questionnaire.',
      'We need your W-9 form and bank details to register you as a supplier.',
      'Our purchasing system needs your insurance certificate and company registration.',
    ],
    details: [
      'The questionnaire has about {number} questions.',
      'I have attached the forms.',
      'Our purchasing portal only accepts suppliers with complete documents.',
      'The purchase is for {seats} licences of the {plan} plan.',
    ],
    asks: [
      'Could you fill these in and send them back?',
      'Please send the documents to our procurement team.',
      'Who on your side handles vendor paperwork?',
    ],
    shorts: ['need your W-9 for po {po}', 'pls complete vendor form'],
  },
  {
    name: 'add_seats',
    topics: ['adding seats', 'upgrading our plan', 'more licences'],
    subjects: [
      'Add {number} seats',
      'Upgrade to {plan}',
      'More licences needed',
      'Upgrade options',
    ],
    problems: [
      'We want to add {number} more seats to our account.',
      'We are thinking about upgrading from Starter to {plan}.',
      'A new team is joining and they need licences.',
      'We need {feature}, which I understand is only in a higher plan.',
    ],
    details: [
      'Our account is {account}.',
      'The new colleagues start in {month}.',
      'We would like the new seats on the same renewal date.',
      'We currently have {seats} seats.',
    ],
    asks: [
      'What would that cost?',
      'Could you send an updated quote?',
      'Please let me know how to proceed.',
    ],
    shorts: ['need {number} more seats', 'upgrade to {plan}?'],
  },
  {
    name: 'partnership',
    topics: ['a partnership', 'reselling your product', 'a referral agreement'],
    subjects: [
      'Partnership inquiry',
      'Reseller program',
      'Becoming a partner',
      'Referral partnership',
    ],
    problems: [
      'We are a consultancy in {city} and would like to resell {product}.',
      'We would like to learn about your partner program.',
      'Several of our clients ask for a tool like yours.',
      'We build add-ons for {integration} and see a fit with your platform.',
    ],
    details: [
      'We work with about {number} clients in {country}.',
      'We already partner with {competitor}.',
      'We could offer implementation services.',
    ],
    asks: [
      'Who would be the right person to talk to?',
      'Could you send information about the partner program?',
    ],
    shorts: ['do you have a reseller program?'],
    background: [
      'We are a team of {teamsize} consultants.',
      'We have offices in {city} and {city2}.',
    ],
    urgency: [0.6, 0.35, 0.05, 0],
  },
];

const HR: readonly Intent[] = [
  {
    name: 'leave_request',
    topics: ['my leave request', 'vacation days', 'taking time off'],
    subjects: [
      'Leave request',
      'Vacation from {date}',
      'Question about my remaining holidays',
      'Parental leave',
      'Sick leave',
    ],
    problems: [
      'I would like to take {days} days of annual leave starting {date}.',
      'My leave request from {date} is still pending.',
      'The HR portal shows {days} remaining holidays, but I believe I have more.',
      'I would like to apply for parental leave from {month}.',
      'I was sick for {days} days and I am not sure how to record it.',
    ],
    details: [
      'My manager {colleague} has already agreed.',
      'I carried over {days} days from last year.',
      'I will hand over my tasks to {colleague} while I am away.',
      "I submitted the doctor's note through the portal.",
      'The portal gives an error when I submit the form.',
    ],
    asks: [
      'Could you confirm the request?',
      'Please let me know what else you need from me.',
      'Can you check my holiday balance?',
    ],
    shorts: ['leave request still pending', 'how many vacation days do i have left?'],
    urgency: [0.4, 0.4, 0.17, 0.03],
    cues: { high: ['My flight is booked for the day after tomorrow.'] },
  },
  {
    name: 'payroll',
    topics: ['my payslip', 'my salary payment', 'a payroll issue'],
    subjects: [
      'Salary not received',
      'Question about my payslip',
      'Overtime missing from payroll',
      'Payroll error for {month}',
      'Wrong tax class on payslip',
    ],
    problems: [
      'My salary for {month} has not arrived in my account.',
      'The overtime hours I worked in {month} are missing from my payslip.',
      'My payslip shows a deduction of {amount} that I do not understand.',
      "My new bank details were not used for this month's salary.",
      'The bonus we were promised is not on my payslip.',
    ],
    details: [
      'I worked {hours} hours of overtime, approved by {colleague}.',
      'I updated my bank details in the portal on {date}.',
      'The payslip is dated {date}.',
      'Colleagues in my team were paid as usual.',
      'My employee number is {account}.',
    ],
    asks: [
      'Could you look into this?',
      'Please let me know when the payment will be corrected.',
      'Can someone from payroll explain the deduction?',
    ],
    shorts: ['salary not paid yet', 'overtime missing on payslip', 'payslip wrong'],
    urgency: [0.2, 0.35, 0.3, 0.15],
    cues: {
      high: ['I have bills due at the end of this week.'],
      critical: ['My rent is due today and my salary has not arrived.'],
    },
  },
  {
    name: 'onboarding',
    topics: ['onboarding a new hire', 'my first day', 'the onboarding documents'],
    subjects: [
      'Onboarding for new team member',
      'First day questions',
      'Laptop and accounts for new hire',
      'Onboarding documents',
    ],
    problems: [
      'A new colleague joins my team on {date} and nothing is set up yet.',
      'I start on {weekday} and have not received any information about my first day.',
      'Our new hire still has no access to the HR portal.',
      'I was asked to sign the onboarding documents but the link does not work.',
    ],
    details: [
      'The new colleague will work from our office in {city}.',
      'They need a laptop and accounts for the usual tools.',
      'I have not received a contract copy yet.',
      'The welcome email mentioned an onboarding session but no date.',
    ],
    asks: [
      'Could you tell me what the next steps are?',
      'Please make sure everything is ready for the first day.',
      'Who should I contact about the setup?',
    ],
    shorts: ['new hire starting {weekday}, no laptop yet', 'when is my first day?'],
    urgency: [0.3, 0.4, 0.25, 0.05],
    cues: {
      high: ['The new colleague starts tomorrow.'],
      critical: ['The new colleague is sitting here right now with no laptop and no access.'],
    },
  },
  {
    name: 'benefits',
    topics: ['my benefits', 'the health insurance', 'the pension plan'],
    subjects: [
      'Question about benefits',
      'Health insurance enrolment',
      'Pension contributions',
      'Gym membership benefit',
      'Adding my partner to insurance',
    ],
    problems: [
      'I would like to enrol in the company health insurance.',
      'I want to increase my pension contribution to {percent}%.',
      'My partner should be added to my health insurance.',
      'I have not received the gym membership benefit mentioned in my contract.',
    ],
    details: [
      'The enrolment window closes on {date}.',
      'I joined the company in {month}.',
      'The benefits page on the intranet seems outdated.',
      'I submitted the form on {date} but heard nothing.',
    ],
    asks: [
      'Could you explain how this works?',
      'Please send me the right forms.',
      'Who can I talk to about this?',
    ],
    shorts: ['how do i enrol in health insurance?', 'pension question'],
    urgency: [0.5, 0.38, 0.12, 0],
  },
  {
    name: 'contract',
    topics: ['my employment contract', 'changing my working hours', 'my notice period'],
    subjects: [
      'Employment contract question',
      'Change to part-time',
      'Notice period',
      'Contract extension',
      'Copy of my contract',
    ],
    problems: [
      'My fixed-term contract ends on {date} and I have not heard about an extension.',
      'I would like to reduce my hours to {number} per week.',
      'I want to understand my notice period.',
      'I need a signed copy of my employment contract.',
    ],
    details: [
      'My manager supports the change.',
      'My contract was signed in {year}.',
      'I need the copy for a mortgage application.',
      'The change would start from {month}.',
    ],
    asks: [
      'Could you send me the details?',
      'Please let me know how to proceed.',
      'Can we set up a meeting to discuss it?',
    ],
    shorts: ['need copy of my contract', 'contract extension?'],
    urgency: [0.4, 0.4, 0.17, 0.03],
    cues: {
      high: ['My contract ends on Friday and I still do not know what happens next.'],
      critical: ['My contract ends today and nobody has told me anything.'],
    },
  },
  {
    name: 'harassment_report',
    topics: ['a complaint about a colleague', 'behaviour at work', 'a confidential matter'],
    subjects: [
      'Confidential: complaint about behaviour',
      'Report of inappropriate conduct',
      'I need to report an incident',
      'Confidential HR matter',
    ],
    problems: [
      'I want to report repeated inappropriate comments from a colleague.',
      'A manager in my department has been making remarks that make me uncomfortable.',
      'I witnessed a colleague being harassed during a team event.',
      'I need to report behaviour by a team member that I believe is harassment.',
    ],
    details: [
      'It has happened several times since {month}.',
      'I have written down dates and what was said.',
      'Another colleague saw it happen on {date}.',
      'I would prefer this to stay confidential.',
      'I do not feel comfortable raising this with my manager.',
    ],
    asks: [
      'Could we meet in private?',
      'Please tell me what the process is.',
      'Who can I speak to confidentially?',
    ],
    shorts: ['need to report harassment, confidential'],
    cues: {
      high: ['I have to work next to this person again on Monday.'],
      critical: ['I do not feel safe going back to the office tomorrow.'],
    },
    sentiment: [0.75, 0.25, 0],
    urgency: [0.02, 0.35, 0.43, 0.2],
  },
  {
    name: 'relocation',
    topics: ['my relocation', 'moving to the {city} office', 'relocation support'],
    subjects: [
      'Relocation to {city}',
      'Relocation package',
      'Visa and relocation support',
      'Moving expenses',
    ],
    problems: [
      'I am relocating to our {city} office in {month}.',
      'I need details about the relocation package for my move to {city}.',
      'My visa application for {country} needs a letter from HR.',
      'My moving expenses of {amount} have not been reimbursed.',
    ],
    details: [
      'I am moving with my family.',
      'The move is planned for {date}.',
      'The relocation agency has not contacted me.',
      'I submitted the receipts on {date}.',
    ],
    asks: [
      'Could you send me the relocation policy?',
      'Please let me know who coordinates this.',
      'Can you provide the letter for the visa?',
    ],
    shorts: ['relocation to {city} - who do i talk to?'],
    urgency: [0.45, 0.4, 0.15, 0],
    cues: { high: ['The movers come on Monday and nothing is confirmed.'] },
  },
  {
    name: 'training_expenses',
    topics: ['a training budget', 'expense reimbursement', 'a course I want to take'],
    subjects: [
      'Training budget request',
      'Reimbursement for course',
      'Conference attendance',
      'Expense claim not paid',
    ],
    problems: [
      'I would like to use my training budget for a course in {month}.',
      'My expense claim of {amount} for the conference in {city} has not been paid.',
      'I would like to attend a certification course that costs {amount}.',
      'My travel expenses from {date} are still open.',
    ],
    details: [
      'My manager has approved it.',
      'I submitted the receipts through the portal.',
      'The course lasts {duration}.',
      'The claim number is {ticket}.',
    ],
    asks: [
      'Could you approve it?',
      'Please let me know when it will be paid.',
      'What is the process for this?',
    ],
    shorts: ['expense claim still not paid', 'training budget question'],
    urgency: [0.55, 0.35, 0.1, 0],
  },
  {
    name: 'job_application',
    topics: ['my application', 'the open position', 'my interview'],
    subjects: [
      'Application status',
      'Following up on my interview',
      'Application for the {department} role',
      'Open positions',
    ],
    problems: [
      'I applied for the {department} position on {date} and have not heard back.',
      'I had my second interview on {date} and wanted to follow up.',
      'I would like to know whether you have open positions in {city}.',
      'I received an offer and have questions about the start date.',
    ],
    details: [
      'My application reference is {ticket}.',
      'I have another offer I need to respond to.',
      'I can start from {month}.',
      'I spoke with {colleague} from the recruiting team.',
    ],
    asks: [
      'Could you give me an update?',
      'Please let me know the next steps.',
      'Who should I contact?',
    ],
    shorts: ['any update on my application?'],
    background: [
      'I currently work in {department} at a company in {city}.',
      'I have several years of experience in a similar role.',
    ],
    urgency: [0.45, 0.4, 0.15, 0],
    cues: { high: ['I have to give another company an answer tomorrow.'] },
  },
];

const LEGAL: readonly Intent[] = [
  {
    name: 'legal_threat',
    topics: ['legal action against you', 'a lawsuit', 'taking this to court'],
    subjects: [
      'Legal action',
      'We will sue',
      'Formal notice before legal action',
      'You will hear from our lawyers',
    ],
    problems: [
      'We will sue you over {product}.',
      'We are taking legal action against your company.',
      'Our lawyers are preparing a lawsuit about the damage {product} caused.',
      'If this is not resolved we will take you to court.',
      'This is a formal notice that we intend to sue for breach of contract.',
    ],
    details: [
      'Our attorney has all the correspondence.',
      'We have documented every failure since {weekday}.',
      'The losses on our side are considerable.',
      'You ignored every message we sent.',
    ],
    asks: [
      'Send us the name of your legal department.',
      'Forward this to your legal counsel.',
      'Tell us who will represent your company.',
    ],
    shorts: [
      'we will sue you',
      'see you in court',
      'expect a lawsuit',
      'our lawyers will contact you',
    ],
    sentiment: [0.95, 0.05, 0],
  },
  {
    name: 'contract_review',
    topics: ['our contract', 'the master services agreement', 'contract amendments'],
    subjects: [
      'Contract review: {contract}',
      'Comments on the MSA',
      'Proposed amendments to the agreement',
      'Liability clause',
      'Contract redlines',
    ],
    problems: [
      'Our legal team has reviewed agreement {contract} and has comments on the liability clause.',
      'We would like to propose changes to the termination clause in our contract.',
      'Attached are our redlines to your master services agreement.',
      'The indemnity section of the agreement is not acceptable to us as drafted.',
    ],
    details: [
      'The main points concern liability caps and the governing law.',
      'We would need the contract governed by the laws of {country}.',
      'Section {number} conflicts with our internal policy.',
      'Our general counsel needs to sign off before {date}.',
      'We also need the data processing terms attached as an annex.',
    ],
    asks: [
      'Could your legal team review our comments?',
      'Please send us a revised version.',
      'Can we set up a call between our lawyers?',
    ],
    shorts: ['redlines for {contract} attached', 'comments on the MSA'],
    urgency: [0.3, 0.4, 0.22, 0.08],
    cues: {
      high: ['Our general counsel needs this before the board meeting tomorrow.'],
      critical: ['We sign with our customer tonight and cannot do so without your comments.'],
    },
  },
  {
    name: 'gdpr_deletion',
    topics: ['a data deletion request', 'my personal data', 'a data subject access request'],
    subjects: [
      'Request to delete my personal data',
      'GDPR data deletion request',
      'Data subject access request',
      'Right to erasure',
      'Personal data held about me',
    ],
    problems: [
      'Under Article 17 GDPR, I request the deletion of all personal data you hold about me.',
      'I would like a copy of all personal data your company stores about me.',
      'Please erase my account and all associated data.',
      'I want to know which third parties you shared my personal data with.',
    ],
    details: [
      'My account was registered with this email address.',
      'I stopped using your service in {year}.',
      'You are legally required to respond within one month.',
      'I have not given consent for marketing emails.',
      'Please include any data held by your subprocessors.',
    ],
    asks: [
      'Please confirm once the deletion is complete.',
      'Could you send the data in a machine-readable format?',
      'Please confirm receipt of this request.',
    ],
    shorts: ['delete all my data please (GDPR)', 'GDPR request: what data do you hold on me'],
    background: [
      'I had an account with you for a few years.',
      'I no longer use any of your products.',
      'I moved to {city} last year.',
    ],
    urgency: [0.35, 0.45, 0.2, 0],
    cues: { high: ['This is my second request and the legal deadline has already passed.'] },
  },
  {
    name: 'nda',
    topics: ['an NDA', 'a non-disclosure agreement', 'confidentiality terms'],
    subjects: [
      'NDA for upcoming discussions',
      'Mutual NDA',
      'Signed NDA attached',
      'Non-disclosure agreement',
    ],
    problems: [
      'Before we share our roadmap, we need a mutual NDA in place.',
      'Attached is our standard non-disclosure agreement for your signature.',
      'We received your NDA but would like to use our own template.',
      'The confidentiality term in your draft is longer than our policy allows.',
    ],
    details: [
      'The discussions concern a possible integration with {integration}.',
      'Our policy requires mutual obligations.',
      'The signatory on our side is our general counsel.',
      'The meeting is planned for {date}.',
    ],
    asks: [
      'Could you sign and return it?',
      'Please let us know who can sign on your side.',
      'Can you send your NDA template?',
    ],
    shorts: ['nda attached for signature', 'need a mutual NDA'],
    urgency: [0.4, 0.4, 0.17, 0.03],
  },
  {
    name: 'terms_dispute',
    topics: ['your terms of service', 'a dispute about our agreement', 'the price change'],
    subjects: [
      'Dispute regarding terms of service',
      'Objection to updated terms',
      'Breach of agreement',
      'Formal complaint about contract terms',
    ],
    problems: [
      'We object to the changes in your updated terms of service.',
      'The price increase violates the terms of our signed agreement.',
      'We believe your company is in breach of the uptime commitment in our contract.',
      'Your terms allow you to use our data for training, which we never agreed to.',
    ],
    details: [
      'Our agreement {contract} guarantees fixed pricing for the full term.',
      'The service was unavailable for {duration} last month.',
      'We were only notified by a banner in the application.',
      'We reserve all rights under the agreement.',
    ],
    asks: [
      'Please confirm that the previous terms still apply to us.',
      'We request a written response from your legal department.',
      'Please tell us how you intend to remedy this.',
    ],
    shorts: ['we do not accept the new terms', 'formal objection to ToS change'],
    urgency: [0.3, 0.4, 0.2, 0.1],
    cues: { high: ['The deadline for our formal response is tomorrow.'] },
  },
  {
    name: 'subpoena',
    topics: ['a subpoena', 'a court order', 'a request from law enforcement'],
    subjects: [
      'Subpoena: case {case}',
      'Court order for records',
      'Legal request for user data',
      'Preservation request',
    ],
    problems: [
      'Please find attached a subpoena for records in case {case}.',
      'We represent a client in case {case} and request the preservation of account records.',
      'A court order requires you to produce documents related to account {account}.',
      'This office requests records relating to an account on your platform.',
    ],
    details: [
      'The requested period is {month} to {month2} {year}.',
      'The order was issued by the district court.',
      'The records must be produced in electronic form.',
      'Please direct all communication to the undersigned.',
    ],
    asks: [
      'Please confirm receipt and the name of your records custodian.',
      'Please acknowledge this request in writing.',
      'Let us know the expected date of production.',
    ],
    shorts: ['subpoena attached re case {case}'],
    background: [
      'This firm represents the plaintiff in the above matter.',
      'This request is made under the applicable rules of civil procedure.',
      'A copy of the order is enclosed for your records.',
    ],
    cues: {
      high: ['The response is due tomorrow.'],
      critical: ['The court deadline is today.', 'Production of the records is due by end of day.'],
    },
    sentiment: [0.05, 0.95, 0],
    urgency: [0.02, 0.28, 0.35, 0.35],
  },
  {
    name: 'ip_trademark',
    topics: ['a trademark issue', 'use of our logo', 'intellectual property'],
    subjects: [
      'Trademark infringement',
      'Unauthorised use of our brand',
      'Intellectual property notice',
      'Copyright claim',
    ],
    problems: [
      'A workspace on your platform is using our registered trademark {brand} without permission.',
      'Content hosted on your service copies our copyrighted material.',
      'We noticed that one of your templates uses our logo.',
      'A customer of yours is selling counterfeit products under the name {brand}.',
    ],
    details: [
      'Our trademark is registered in {country}.',
      'The material appears at a public link on your domain.',
      'We have documented the use since {date}.',
      'We sent a notice to the account owner without a reply.',
    ],
    asks: [
      'Please remove the infringing content.',
      'Please confirm the steps you will take.',
      'Could you forward this notice to the account holder?',
    ],
    shorts: ['takedown request: trademark {brand}'],
    background: [
      'We act for the owner of the {brand} brand.',
      'The {brand} brand has been on the market since {year}.',
    ],
    urgency: [0.3, 0.4, 0.22, 0.08],
  },
  {
    name: 'compliance_audit',
    topics: ['a compliance audit', 'your certifications', 'our audit questionnaire'],
    subjects: [
      'Compliance audit',
      'Request for SOC 2 report',
      'ISO 27001 certificate',
      'Audit rights under our contract',
      'Regulatory audit questionnaire',
    ],
    problems: [
      'As part of our annual audit we need your latest SOC 2 report.',
      'Our regulator requires documentation of your data processing practices.',
      'We would like to exercise our audit rights under agreement {contract}.',
      'Our compliance team needs your ISO 27001 certificate and list of subprocessors.',
    ],
    details: [
      'The audit covers the period from {month} to {month2}.',
      'The auditors arrive on {date}.',
      'We are regulated by the financial authority in {country}.',
      'The questionnaire has {number} sections.',
    ],
    asks: [
      'Could you share the documents?',
      'Please confirm a contact person for the audit.',
      'Can you fill in the attached questionnaire?',
    ],
    shorts: ['need your SOC 2 report for audit', 'audit questionnaire attached'],
    urgency: [0.3, 0.4, 0.2, 0.1],
    cues: {
      high: ['The auditors arrive tomorrow morning.'],
      critical: ['The regulator expects our answer by end of day.'],
    },
  },
  {
    name: 'dpa',
    topics: ['a data processing agreement', 'the DPA', 'data transfers'],
    subjects: [
      'Data processing agreement',
      'DPA signature',
      'Standard contractual clauses',
      'Subprocessor list',
    ],
    problems: [
      'We need a signed data processing agreement before we can continue using your service.',
      'Could you confirm where our data is stored and whether it leaves the EU?',
      'Your DPA does not include the current standard contractual clauses.',
      'We were not notified about a new subprocessor.',
    ],
    details: [
      'Our data protection officer has reviewed your current DPA.',
      'We process customer data from {country}.',
      'Our internal review deadline is {date}.',
      'We need the technical and organisational measures as an annex.',
    ],
    asks: [
      'Please send a signed DPA.',
      'Could you provide the updated subprocessor list?',
      'Who is your data protection officer?',
    ],
    shorts: ['need signed DPA', 'where is our data stored?'],
    urgency: [0.35, 0.4, 0.2, 0.05],
    cues: { high: ['Our data protection officer has given us until tomorrow to get this signed.'] },
  },
];

const PRODUCT_FEEDBACK: readonly Intent[] = [
  {
    name: 'feature_request',
    topics: ['a feature request', 'an idea for {product}', 'something we are missing'],
    subjects: [
      'Feature request: {feature}',
      'Suggestion for {product}',
      'Would love to see {feature} improved',
      'Idea for a new feature',
      'Request: recurring reports',
    ],
    problems: [
      'It would be great if {product} supported {feature} for individual projects.',
      'We would love an option to schedule reports weekly.',
      'Please consider adding a way to share dashboards with external guests.',
      'A keyboard shortcut for creating new items would save us a lot of clicks.',
      'We miss an integration with {integration}.',
    ],
    details: [
      'Right now we work around it with spreadsheets.',
      '{competitor} offers something similar.',
      'At least {number} people in our team asked for this.',
      'It would make {feature} much more useful for us.',
      'We would happily test a beta version.',
    ],
    asks: [
      'Is this on your roadmap?',
      'Could you pass this on to the product team?',
      'Let me know if you need more details about our use case.',
    ],
    shorts: ['pls add {feature} to mobile', 'feature idea: weekly digest email'],
    urgency: [0.78, 0.2, 0.02, 0],
  },
  {
    name: 'ui_praise',
    topics: ['the new design', 'the latest update', 'how much we like the app'],
    subjects: [
      'Love the new design',
      'Great update!',
      'Compliments on {feature}',
      'The new dashboard is fantastic',
      'Thank you for the latest release',
    ],
    problems: [
      'The new design of {product} is a huge improvement.',
      'I just wanted to say that the latest update is excellent.',
      '{feature} is exactly what our team needed.',
      'The redesigned dashboard looks clean and loads much faster.',
    ],
    details: [
      'Our whole team noticed the difference.',
      'It used to take me {number} clicks and now it takes two.',
      'The dark mode is easy on the eyes.',
      'Onboarding new colleagues has become much easier.',
      'We switched from {competitor} last year and this confirms we made the right choice.',
    ],
    asks: [
      'Please pass our thanks on to the design team.',
      'Keep up the great work.',
      'Looking forward to the next release.',
    ],
    shorts: ['love the new dashboard!', 'new update is great', 'dark mode is awesome'],
    sentiment: [0, 0.1, 0.9],
    urgency: [0.9, 0.1, 0, 0],
  },
  {
    name: 'ux_complaint',
    topics: ['the new layout', 'the navigation', 'how hard the app is to use'],
    subjects: [
      'New layout is confusing',
      'Feedback on the redesign',
      'Hard to find settings',
      'Too many clicks',
      'Navigation after the update',
    ],
    problems: [
      'Since the redesign it takes much longer to find basic settings.',
      'The new navigation in {product} is confusing for our team.',
      'Exporting a report now needs {number} clicks instead of one.',
      'The new colour scheme makes it hard to read the charts.',
    ],
    details: [
      'Several colleagues asked me where {feature} went.',
      'The old menu was much clearer.',
      'The contrast is low on smaller screens.',
      'There is no option to switch back to the previous layout.',
      'The icons have no labels.',
    ],
    asks: [
      'Could you consider bringing back the old menu?',
      'Please pass this feedback on to the design team.',
      'Is there a setting to make this easier?',
    ],
    shorts: ['new layout is confusing', 'where did {feature} go??'],
    sentiment: [0.75, 0.25, 0],
    urgency: [0.6, 0.32, 0.08, 0],
  },
  {
    name: 'minor_bug',
    topics: ['a small bug', 'a glitch in the app', 'a display problem'],
    subjects: [
      'Small bug in {feature}',
      'Minor display issue',
      'Typo in the app',
      'Glitch in the calendar',
      'Date format wrong',
    ],
    problems: [
      'The date format in {feature} switches to American style after every refresh.',
      'There is a typo on the settings page.',
      'The calendar view shows weekends in the wrong colour.',
      'Sorting by name in {feature} puts lowercase names at the end.',
      'The tooltip on the export button covers the button itself.',
    ],
    details: [
      'It does not stop us from working, it is just a bit annoying.',
      'It happens on {browser} and in the mobile app.',
      'It started with version {version}.',
      'A screenshot is attached.',
    ],
    asks: [
      'Could you fix this in a future update?',
      'Just wanted to let you know.',
      'Please pass this on to the developers.',
    ],
    shorts: ['small bug: dates wrong in {feature}', 'typo on settings page btw'],
    urgency: [0.7, 0.27, 0.03, 0],
  },
  {
    name: 'suggestion',
    topics: ['a suggestion', 'ideas to improve {product}', 'our experience with the tool'],
    subjects: [
      'Suggestion',
      'A few ideas',
      'Improvement ideas for {product}',
      'Feedback after six months',
    ],
    problems: [
      'After using {product} for a while, we have a few suggestions.',
      'One improvement would be letting users pin their favourite reports.',
      'The onboarding checklist could explain {feature} better.',
      'Notifications could be grouped into a daily summary.',
    ],
    details: [
      'We use {product} mostly in the {department} team.',
      'We have been customers since {year}.',
      'These are small things but they would add up.',
      'Our team collected these ideas in our last retrospective.',
    ],
    asks: [
      'Happy to discuss these on a call.',
      'Feel free to reach out if you want more details.',
      'Let us know what you think.',
    ],
    shorts: ['suggestion: group notifications into a daily summary'],
    urgency: [0.8, 0.2, 0, 0],
  },
  {
    name: 'competitor_comparison',
    topics: ['how you compare to {competitor}', 'switching from {competitor}', 'missing features'],
    subjects: [
      'Compared to {competitor}',
      'Feedback from a former {competitor} user',
      'Why we are considering {competitor}',
      'Features {competitor} has',
    ],
    problems: [
      'We recently compared {product} with {competitor}.',
      '{competitor} offers {feature} in their basic plan.',
      'Coming from {competitor}, we miss a few things in {product}.',
      'Our team is discussing whether to move to {competitor}.',
    ],
    details: [
      'Your reporting is clearly better.',
      'Their mobile app is faster in our tests.',
      'Price is not the main factor for us.',
      'We would prefer to stay with you.',
    ],
    asks: [
      'Are there plans to close this gap?',
      'I would be glad to share more details.',
      'Let me know if this is on the roadmap.',
    ],
    shorts: ['{competitor} has {feature}, why dont you?'],
  },
  {
    name: 'docs_feedback',
    topics: ['your documentation', 'the help center', 'the API docs'],
    subjects: [
      'Documentation feedback',
      'API docs outdated',
      'Help center article',
      'Missing examples in docs',
    ],
    problems: [
      'The API documentation still describes the old authentication method.',
      'The help center article about {feature} refers to menus that no longer exist.',
      'The docs are missing examples for the {integration} integration.',
      'Your getting started guide is really clear and helpful.',
    ],
    details: [
      'I found it while setting up {product} for our team.',
      'Code samples in more languages would help.',
      'The search in the help center did not find the page.',
      'Version {version} changed the settings screen.',
    ],
    asks: [
      'Could you update the page?',
      'Just a heads-up for your docs team.',
      'Let me know if you want screenshots.',
    ],
    shorts: ['api docs outdated', 'help article on {feature} is outdated'],
    urgency: [0.75, 0.22, 0.03, 0],
  },
  {
    name: 'release_reaction',
    topics: ['the latest release', 'version {version}', 'the recent changes'],
    subjects: [
      'Thoughts on version {version}',
      'Feedback on the latest release',
      'Recent changes',
      'About the new pricing page and features',
    ],
    problems: [
      'We have been using version {version} for {duration} now.',
      'The latest release changed how {feature} works.',
      'I wanted to share some feedback on the recent changes to {product}.',
      'Our team has mixed feelings about the new release.',
    ],
    details: [
      'Performance is noticeably better.',
      'Some of our saved filters disappeared.',
      'The new search is much faster.',
      'The release notes did not mention the change to {feature}.',
    ],
    asks: [
      'Hope this helps.',
      'Just sharing our experience.',
      'Curious to hear what is planned next.',
    ],
    shorts: ['new release: search is way faster', 'version {version} changed {feature}?'],
  },
];

/** The intents of every category. */
export const INTENTS: Readonly<Record<Category, readonly Intent[]>> = {
  technical_support: TECHNICAL_SUPPORT,
  billing: BILLING,
  sales: SALES,
  hr: HR,
  legal: LEGAL,
  product_feedback: PRODUCT_FEEDBACK,
};

/** Topics that sit between two categories; every category appears in at least two of them. */
export const AMBIGUOUS_INTENTS: readonly AmbiguousIntent[] = [
  {
    name: 'paid_feature_locked',
    categories: ['billing', 'technical_support'],
    topics: ['features we paid for', 'our upgrade not showing'],
    subjects: [
      'Upgrade not applied',
      'Paid for {plan} but features missing',
      'Plan features locked',
    ],
    problems: [
      'We paid for the {plan} plan but {feature} is still locked in our account.',
      'Our upgrade was charged on {date} but the workspace still shows the old plan.',
    ],
    details: [
      'The payment of {amount} went through.',
      'Logging out and in again did not help.',
      'The billing page and the settings page show different plans.',
    ],
    asks: ['Can you sort this out?', 'Please check what is wrong with our account.'],
    shorts: ['paid for {plan}, still locked'],
  },
  {
    name: 'annual_pricing_change',
    categories: ['billing', 'sales'],
    topics: ['our pricing', 'changing our subscription'],
    subjects: ['Pricing for next year', 'Change to our subscription', 'Cost if we add seats'],
    problems: [
      'What would we pay if we move to annual billing and add {number} seats?',
      'Our renewal is coming up and the new price is {amount} instead of {amount2}.',
    ],
    details: ['We have been customers since {year}.', 'Our account is {account}.'],
    asks: ['Could you clarify the cost?', 'Who can I talk to about the price?'],
    shorts: ['what will renewal cost us?'],
  },
  {
    name: 'former_employee_data',
    categories: ['hr', 'legal'],
    topics: ['my personal data', 'my employee records'],
    subjects: ['My personal records', 'Data held after leaving', 'Request for my employee file'],
    problems: [
      'Since my employment ended in {month}, I would like to know what personal data the company keeps about me.',
      'I am asking for a copy of my personnel file and for my records to be deleted.',
    ],
    details: ['My last day was {date}.', 'My employee number was {account}.'],
    asks: ['Please let me know how this will be handled.', 'Please confirm receipt.'],
    shorts: ['want my personnel file + data deleted'],
  },
  {
    name: 'contract_before_signing',
    categories: ['legal', 'sales'],
    topics: ['the contract for our purchase', 'the terms before we buy'],
    subjects: [
      'Contract terms before purchase',
      'Terms for the {plan} plan',
      'Agreement questions',
    ],
    problems: [
      'Before we sign for {seats} seats, our procurement needs your standard contract and the DPA.',
      'We are ready to buy but the liability terms need changes.',
    ],
    details: ['Our budget is approved.', 'Our legal counsel will review the documents.'],
    asks: ['Could you send the documents?', 'Who can discuss the terms with us?'],
    shorts: ['need contract + DPA before buying'],
  },
  {
    name: 'export_hard_to_find',
    categories: ['product_feedback', 'technical_support'],
    topics: ['the export button', 'exporting reports'],
    subjects: ['Export button', 'Export hard to use', 'Exporting reports'],
    problems: [
      'The export button is hard to find and when I do find it, nothing happens half the time.',
      'Exporting a report has become a chore since the redesign and sometimes it just fails.',
    ],
    details: ['It happens on {browser}.', 'We export reports every {weekday}.'],
    asks: ['Can you look into this?', 'Any advice?'],
    shorts: ['export button hidden and flaky'],
  },
  {
    name: 'small_team_plan',
    categories: ['product_feedback', 'sales'],
    topics: ['a plan for small teams', 'your pricing tiers'],
    subjects: ['Plan for small teams?', 'Pricing tiers', 'Smaller plan'],
    problems: [
      'Would you consider a cheaper plan for small teams? The current tiers do not fit us.',
      'We only need {feature}, but it is only available in the {plan} plan.',
    ],
    details: ['We are {teamsize} people.', 'We like the product a lot otherwise.'],
    asks: ['Is anything like that planned?', 'What options do we have?'],
    shorts: ['any plan for tiny teams?'],
  },
  {
    name: 'payslip_vs_invoice',
    categories: ['hr', 'billing'],
    topics: ['a deduction', 'a reimbursement'],
    subjects: ['Deduction of {amount}', 'Reimbursement missing', 'Charge I do not recognise'],
    problems: [
      'An amount of {amount} was deducted for the company phone plan and I do not understand why.',
      'The reimbursement of {amount} I was promised has not been paid.',
    ],
    details: ['It appeared on {date}.', 'Reference {ticket}.'],
    asks: ['Could you explain this charge?', 'Who is responsible for this?'],
    shorts: ['who deducted {amount}??'],
  },
  {
    name: 'unauthorised_access',
    categories: ['technical_support', 'legal'],
    topics: ['unauthorised access to our data', 'a possible data breach'],
    subjects: ['Possible data breach', 'Unauthorised access to our data', 'Data exposure'],
    problems: [
      'We think someone accessed our account without permission and we need to know what data was exposed.',
      'A file with customer data from our workspace appeared on a public link.',
    ],
    details: [
      'Our data protection officer has been informed.',
      'We may have to notify the authority in {country}.',
    ],
    asks: ['Please tell us what happened.', 'We need a written incident report.'],
    shorts: ['possible breach of our data, need info'],
    cues: {
      critical: ['We must notify the regulator within 72 hours and that window closes tonight.'],
    },
    urgency: [0, 0.1, 0.4, 0.5],
  },
  {
    name: 'onboarding_tool_access',
    categories: ['hr', 'technical_support'],
    topics: ['access for a new colleague', 'accounts for a new hire'],
    subjects: ['Access for new colleague', 'Accounts for new hire', 'New starter cannot log in'],
    problems: [
      'Our new colleague started on {weekday} and still cannot log in to any of the internal tools.',
      'The new hire in the {department} team has no account yet.',
    ],
    details: ['Their manager is {colleague}.', 'They work from {city}.'],
    asks: ['Who can set this up?', 'Could you help with this?'],
    shorts: ['new starter still has no access'],
  },
  {
    name: 'price_increase_complaint',
    categories: ['billing', 'product_feedback'],
    topics: ['the price increase', 'the new prices'],
    subjects: ['Price increase', 'New pricing', 'About the price change'],
    problems: [
      'The new price of {amount} per month is hard to justify for the features we use.',
      'Our bill went up by {percent}% and nothing in the product changed for us.',
    ],
    details: ['We have used {product} since {year}.', 'We mainly use {feature}.'],
    asks: ['Could you explain the increase?', 'Please share this with your team.'],
    shorts: ['price went up {percent}%??'],
    sentiment: [0.7, 0.3, 0],
  },
  {
    name: 'terms_refund',
    categories: ['legal', 'billing'],
    topics: ['a refund under our contract', 'the service credits'],
    subjects: ['Service credits', 'Refund under our agreement', 'SLA credits'],
    problems: [
      "Under our agreement we are entitled to service credits for last month's downtime.",
      'According to the contract we should get a refund of {amount}.',
    ],
    details: ['The downtime lasted {duration}.', 'Our contract reference is {contract}.'],
    asks: ['Please confirm the credit.', 'Please let us know how you will compensate us.'],
    shorts: ['where are our SLA credits?'],
  },
];

/** Passing mentions of a category's topics, as a customer would make them. */
export const CUSTOMER_ASIDES: Readonly<Partial<Record<Category, readonly string[]>>> = {
  technical_support: [
    'the mobile app has also been a bit slow lately',
    'I sometimes get logged out for no reason, but that is a separate thing',
    'the export to CSV was flaky last week too',
    'one of my colleagues still has trouble with two-factor codes',
    'the {integration} sync showed an error yesterday, it fixed itself though',
  ],
  billing: [
    'our last invoice still shows the old address',
    'I also noticed the VAT number is missing on our invoices',
    'could you send the receipt for {month} while you are at it',
    'our card on file expires next month',
    'I think we were billed for one seat too many',
  ],
  sales: [
    'we might add more seats later this year',
    'I would also like to hear about the {plan} plan at some point',
    'our sister company is interested in {product} as well',
    'a quote for the Enterprise plan would be useful for our budget planning',
  ],
  legal: [
    'our legal team will want to review the updated terms at some point',
    'we still need a signed DPA on file',
    'our compliance team asked whether you have a SOC 2 report',
    'our contract renews in {month}, just so you know',
  ],
  product_feedback: [
    'love the new dark mode, by the way',
    'it would be nice if {feature} had keyboard shortcuts',
    'the new dashboard looks great',
    'the search could be a bit smarter',
    'the new onboarding checklist is really helpful',
  ],
};

/** Passing mentions as an employee (writing to HR, or from inside the company) would make them. */
export const EMPLOYEE_ASIDES: Readonly<Partial<Record<Category, readonly string[]>>> = {
  technical_support: [
    'my laptop still cannot connect to the VPN, I have a ticket open with IT',
    'the HR portal logs me out every few minutes',
    'I could not reset my password for the intranet either',
  ],
  hr: [
    'I am also still waiting to hear back about my leave request',
    'my payslip for {month} looked a bit off, I will ask payroll separately',
    'our new team member starts on {weekday} as well',
    'I still need the form for the pension plan',
  ],
  legal: [
    'I also signed the updated confidentiality agreement and am not sure where to send it',
    'someone should check whether the new data retention policy covers our team',
  ],
  product_feedback: [
    'the new dashboard we rolled out looks great, by the way',
    'customers keep telling me they love dark mode',
  ],
};

/** Context a customer gives in longer messages, whatever the topic. */
export const CUSTOMER_BACKGROUND: readonly string[] = [
  'For context, we are a team of {teamsize} people based in {city}.',
  'We have been using {product} since {year}.',
  'I manage the {department} team and we rely on {product} every day.',
  'We are currently rolling {product} out to our office in {city}.',
  'Most of our team works remotely across {country} and {country2}.',
  'I took over the account from my colleague {colleague} a few weeks ago.',
  'We also use {integration} alongside {product}.',
  'Our company has grown quite a bit this year.',
];

/** Context an employee gives in longer messages to HR. */
export const EMPLOYEE_BACKGROUND: readonly string[] = [
  'I have been with the company since {year}.',
  'I work in the {department} team in the {city} office.',
  'My manager is {colleague}.',
  'I joined the {department} team in {month}.',
  'I am currently working mostly from home.',
  'I moved from the {city} office to {city2} last year.',
];

/** Neutral follow-up sentences that pad a message without changing what it is about. */
export const CUSTOMER_FOLLOW_UPS: readonly string[] = [
  'I have attached a screenshot for reference.',
  'Let me know if you need anything else from my side.',
  'My colleague {colleague} is in copy.',
  'I tried to find the answer in your help center first.',
  'Happy to jump on a call if that is easier.',
  'I am available on {weekday} if you want to discuss.',
  'You can reach me at the number in my signature.',
  'Our account ID is {account}.',
];

/** Follow-ups that make sense on the phone. */
export const SPOKEN_FOLLOW_UPS: readonly string[] = [
  'I can send screenshots by email if that helps.',
  'You can call me back on this number.',
  'My colleague {colleague} knows the details as well.',
  'Our account ID is {account}.',
  'I tried to find the answer online first.',
];

export const EMPLOYEE_FOLLOW_UPS: readonly string[] = [
  'I checked the intranet first but could not find an answer.',
  'Let me know if you need anything else from me.',
  'I am in the office on {weekday} if it is easier to talk in person.',
  'My manager {colleague} is in copy.',
];
