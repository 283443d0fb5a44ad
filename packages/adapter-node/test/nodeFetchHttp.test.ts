import { NodeFetchHttp } from '../src/NodeFetchHttp.js';
import { httpContract } from './support/httpContract.js';

httpContract('NodeFetchHttp', () => new NodeFetchHttp());
