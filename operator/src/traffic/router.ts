/**
 * The one way the operator sets traffic, in the style of Flagger's router interface: one
 * implementation per mesh (istio.ts), each the only code that writes that mesh's routes.
 */
import type { InquiryPipeline } from '../resources.js';
import type { Routes } from './routes.js';

export interface TrafficRouter {
  /** Makes the pipeline's routes `routes` (idempotent). */
  setRoutes(pipeline: InquiryPipeline, routes: Routes): Promise<void>;
  /** The routes as the mesh's objects say now, or undefined when there are none. */
  getRoutes(pipeline: InquiryPipeline): Promise<Routes | undefined>;
}
