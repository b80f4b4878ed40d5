export * from './biometric-event.ts';
export * from './trigger.ts';
export * from './enriched-biometric-event.ts';
