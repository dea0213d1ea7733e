// `npm run test:unit`: the unit project alone (no test bed), so path filters can follow.
import { unitProject } from './jest.config.js';

export default unitProject;
