/** The three headers of the client benchmarks' records (bench:client, bench:codec), as a raw webhook carries them. */
export const recordHeaders = { 'x-request-id': 'r-0000000000', 'received-at': '1767225600000', 'content-type': 'application/json' };
