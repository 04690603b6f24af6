// Datasets have no entry in the provider registry: they are the user's declarations (from the
// existing manifest), and computing `expect` keeps a cache. The capture service calls
// captureDatasets(previous.datasets, {root}) and puts the result into the new manifest.
export { captureDatasets, defaultCachePath, type DatasetCaptureResult } from './capture.ts';
export { annexKeySize, computeExpect, computeExpectDetailed, type ExpectOptions } from './expect.ts';
