import kafkajs, { type Admin } from 'kafkajs';

// kafkajs is CommonJS and these enums are not among the names Node can import from it.
const { ConfigResourceTypes, ConfigSource } = kafkajs;

/**
 * Sets one of a topic's config overrides and keeps the others. AlterConfigs (the only config
 * change kafkajs sends) replaces a topic's whole set of overrides, so sending one entry alone
 * would drop the rest: an internal topic would lose `cleanup.policy=compact`.
 */
export async function setTopicOverride(admin: Pick<Admin, 'describeConfigs' | 'alterConfigs'>, topic: string, name: string, value: string): Promise<void> {
  const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }] });
  const overrides = (resources[0]?.configEntries ?? [])
    .filter((e) => e.configSource === ConfigSource.TOPIC_CONFIG && e.configName !== name)
    .map((e) => ({ name: e.configName, value: e.configValue }));
  await admin.alterConfigs({
    validateOnly: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [...overrides, { name, value }] }],
  });
}
