// A NEUROS consumer in a process of its own, so a test can SIGKILL it: it cannot leave its group.
// Usage: node test/support/neuros-member.ts <group id> <group instance id>; prints "joined".
import { startNeurosConsumer } from '../../src/neuros/index.ts';
import { kafkaClient, schemaStore } from './services.ts';

const [groupId, groupInstanceId] = process.argv.slice(2);
if (!groupId || !groupInstanceId) throw new Error('usage: neuros-member.ts <group id> <group instance id>');
await startNeurosConsumer({ kafka: kafkaClient(), schemaStore: schemaStore(), groupId, groupInstanceId, priorities: ['high'], handle: async () => {} });
console.log('joined');
