import { HttpService } from '@nestjs/axios';
import type { AxiosStatic } from 'axios';

/**
 * The axios that `@nestjs/axios` itself loaded: its `HttpService` defaults to that module's axios.
 *
 * Why not `import axios from 'axios'`: this library is built as CommonJS, and `@nestjs/axios` 12 is
 * ESM. A `require('axios')` here loads axios's CommonJS build, a second copy beside the ESM one
 * `@nestjs/axios` imports: twice the memory, and two `AxiosError` classes, so an `instanceof` from
 * one copy misses errors of the other. Taking axios from `@nestjs/axios` gives the one copy the app
 * has, whichever module system each side uses (`@nestjs/axios` 4, on Nest 11, is CommonJS).
 * Every runtime use of axios in the library goes through here; other files import only its types.
 */
export const nestAxios = new HttpService().axiosRef as unknown as AxiosStatic;
