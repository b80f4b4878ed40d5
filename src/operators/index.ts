export { OperatorError, exitCodes } from './errors.ts';
export { readRange, rangeSize, type PartitionRange } from './read-range.ts';
export { planReplay, parseOffsets, parseTime, checkWindow, assertTopicsExist, type ReplayPlan, type ReplaySelection } from './replay-plan.ts';
export { copyRange, replayMessage, replayedFromHeader, type CopyResult } from './replay-copy.ts';
export { resetGroupToTime, type GroupReset, type OffsetChange } from './group-reset.ts';
export { createPacer, type Pacer } from './pacer.ts';
export { createProgress, formatProgress, formatDuration, type Progress } from './progress.ts';
export {
  listDeadLetters,
  redriveDeadLetters,
  summarize,
  parseDlqSource,
  redriveMessage,
  dlqHeaders,
  redrivenFromHeader,
  type ReasonSummary,
  type RedriveResult,
} from './dlq.ts';
export { createTopics, type TopicReport, type TopicSettings } from './topics-create.ts';
export { checkSchema, explainIncompatibility, type LocalSchema, type SchemaCheck } from './schema-check.ts';
