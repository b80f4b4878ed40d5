import { objectAnswer, type ApiGet } from '../kit/api-get.ts';
import type { JsonObject } from '../kit/payload-fields.ts';
import { everyPage, pageOf } from '../kit/token-pages.ts';

/** Oura API v2 (https://cloud.ouraring.com/v2/docs); `OURA_API_BASE_URL` overrides the host. */
export const ouraApiBaseUrl = 'https://api.ouraring.com';

/** A data type's path segment: the API spells `vo2_max` as `vO2_max` (docs/vendors.md). */
export function ouraPathSegment(dataType: string): string {
  return dataType === 'vo2_max' ? 'vO2_max' : dataType;
}

export interface OuraApi {
  /** `GET /v2/usercollection/<data_type>/<document_id>`: one document. */
  document(dataType: string, documentId: string): Promise<JsonObject>;
  /**
   * `GET /v2/usercollection/<data_type>?start_date&end_date`: every document from `startDate` up
   * to, not including, `endDate` (ISO dates), all pages.
   */
  documentsBetween(dataType: string, startDate: string, endDate: string): Promise<JsonObject[]>;
}

export function ouraApi(get: ApiGet): OuraApi {
  const documentsBetween = (dataType: string, startDate: string, endDate: string): Promise<JsonObject[]> =>
    everyPage('oura', async (token) =>
      pageOf(
        objectAnswer('oura', await get(`/v2/usercollection/${ouraPathSegment(dataType)}`, { start_date: startDate, end_date: endDate, ...(token === undefined ? {} : { next_token: token }) })),
        'data',
        'next_token',
      ),
    );
  return {
    document: async (dataType, documentId) => objectAnswer('oura', await get(`/v2/usercollection/${ouraPathSegment(dataType)}/${encodeURIComponent(documentId)}`)),
    documentsBetween,
  };
}
