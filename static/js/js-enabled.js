// The nhsuk-frontend "js-enabled" snippet, as a file so the Content-Security-Policy needs no
// inline script. It runs at the top of <body> so styles for JavaScript apply before first paint.
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " nhsuk-frontend-supported" : "");
