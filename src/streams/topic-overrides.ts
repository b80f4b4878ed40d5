import kafkajs, { type Admin } from 'kafkajs';

// kafkajs is CommonJS and these enums are not among the names Node can import from it.
const { ConfigResourceTypes, ConfigSource } = kafkajs;

/**
 * Sets one of a topic's config overrides and keeps the others. AlterConfigs (the only config
 * change kafkajs sends) replaces a topic's whole set of overrides, so sending one entry alone
 * would drop the rest: an internal topic would lose `cleanup.policy=compact`.
 */
export async function setTopicOverride(admin: Pick<Admin, 'describeConfigs' | 'alterConfigs'>, topic: string, name: string, value: string): Promise<void> {
  const overrides = await topicOverrides(admin, topic);
  overrides.set(name, value);
  await alterOverrides(admin, topic, overrides);
}

/**
 * Adds the settings the topic does not override yet and keeps every override it has (an
 * operator's own value included). Returns the names it added.
 */
export async function addMissingOverrides(admin: Pick<Admin, 'describeConfigs' | 'alterConfigs'>, topic: string, wanted: Readonly<Record<string, string>>): Promise<string[]> {
  const overrides = await topicOverrides(admin, topic);
  const missing = Object.keys(wanted).filter((name) => !overrides.has(name));
  if (missing.length === 0) return [];
  for (const name of missing) overrides.set(name, wanted[name]!);
  await alterOverrides(admin, topic, overrides);
  return missing;
}

/** The topic's own config overrides (not the broker's defaults it inherits). */
async function topicOverrides(admin: Pick<Admin, 'describeConfigs'>, topic: string): Promise<Map<string, string>> {
  const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }] });
  return new Map((resources[0]?.configEntries ?? []).filter((e) => e.configSource === ConfigSource.TOPIC_CONFIG).map((e) => [e.configName, e.configValue]));
}

async function alterOverrides(admin: Pick<Admin, 'alterConfigs'>, topic: string, overrides: ReadonlyMap<string, string>): Promise<void> {
  await admin.alterConfigs({
    validateOnly: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [...overrides].map(([name, value]) => ({ name, value })) }],
  });
}
