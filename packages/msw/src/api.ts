// The msw-free public surface, shared by both entry points.
export {
  defineMockProvider,
  type MockBodyContext,
  type MockKindOperations,
  type MockKindOptions,
  type MockProvider,
  type MockProviderOptions,
} from './described.js';
export {
  createMockProviders,
  type JobView,
  type MockApiKeys,
  type MockBases,
  type MockJobInfo,
  type MockJobInit,
  type MockJobKind,
  type MockKindName,
  type MockProviderName,
  type MockProviders,
  type MockProvidersOptions,
  type MockRequestRecord,
  PRODUCTION_BASES,
} from './engine.js';
export type { ProviderOptions } from './providers/shared.js';
export { type Random, seededRandom } from './random.js';
export {
  type Fault,
  type FaultKind,
  type FaultTiming,
  type JobEnd,
  type JobScript,
  type LifecycleOptions,
  type Phase,
  type PhaseState,
  script,
  type TimedOptions,
} from './script.js';
