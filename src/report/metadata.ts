// TEMPORARY until src/pipes/metadata.ts lands: replaced by a re-export of the Pipes metadata helpers.
export type MetadataValue = { raw_value: unknown; type: string };
export type MetadataMap = Record<string, MetadataValue>;
export const md = {
  int: (v: number): MetadataValue => ({ raw_value: v, type: 'int' }),
  float: (v: number): MetadataValue => ({ raw_value: v, type: 'float' }),
  text: (v: string): MetadataValue => ({ raw_value: v, type: 'text' }),
  json: (v: unknown): MetadataValue => ({ raw_value: v, type: 'json' }),
  md: (v: string): MetadataValue => ({ raw_value: v, type: 'md' }),
  bool: (v: boolean): MetadataValue => ({ raw_value: v, type: 'bool' }),
};
