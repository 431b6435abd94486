// NHS.UK frontend's components (header menu, error summary focus, skip link, conditional
// radios). Everything works without JavaScript; this only enhances.
import { initAll } from "../nhsuk/nhsuk-frontend.min.js";

initAll();
