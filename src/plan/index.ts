// The planner's public surface.
export { buildPlan, type PlanInput } from './buildPlan.js';
export { summarisePlan, isEmptyPlan } from './summary.js';
export { checkDeletionGuard, countHeldFiles, hasTrashSteps, type DeletionLimits } from './guards.js';
