/** Classification → urgency → routing decision for one inquiry: the step the API and classify-batch share. */
import { inquiryText, type Classification } from '../model/runtime.js';
import { route, type Assign, type RoutingDecision } from './engine.js';
import type { Policy } from './policy.js';
import { combineUrgency, detectUrgency, type Urgency } from './urgency.js';

export interface RoutableInquiry {
  subject: string;
  body: string;
  sender_email: string;
  received_at: Date;
}

export function routeInquiry(
  inquiry: RoutableInquiry,
  classification: Classification,
  policy: Policy,
  assign: Assign,
): { urgency: Urgency; decision: RoutingDecision } {
  const text = inquiryText(inquiry);
  const urgency = combineUrgency(classification.urgency, detectUrgency(text));
  const decision = route(
    {
      category: classification.category,
      sentiment: classification.sentiment,
      urgency,
      text,
      senderEmail: inquiry.sender_email,
      receivedAt: inquiry.received_at,
    },
    policy,
    assign,
  );
  return { urgency, decision };
}
