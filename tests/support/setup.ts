import { hideSdkNodeVersionNotice } from '../../lib/runtime/quiet-warnings';

hideSdkNodeVersionNotice();
