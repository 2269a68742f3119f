/*
 * DOM helpers shared by widget.js and faq-embed.js. The server serves each of
 * those scripts with this file in front (bot/web/app.py ASSET_FILES), so each
 * embed stays one script tag. Text only ever goes into text nodes.
 */
var AllyDom = window.AllyDom || (function () {
  "use strict";

  // North American numbers as the assistant writes them, e.g. 1-NXX-NXX-XXXX or (NXX) NXX-XXXX.
  var PHONE = /(?:\+?1[-. ])?\(?\d{3}\)?[-. ]\d{3}[-. ]\d{4}/g;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // An element holding ``text`` with each phone number as a tap-to-call link.
  function textWithPhoneLinks(tag, className, text) {
    var node = el(tag, className);
    var last = 0;
    var match;
    PHONE.lastIndex = 0;
    while ((match = PHONE.exec(text)) !== null) {
      node.appendChild(document.createTextNode(text.slice(last, match.index)));
      var link = el("a", "ally-tel", match[0]);
      link.href = "tel:" + match[0].replace(/[^\d+]/g, "");
      node.appendChild(link);
      last = match.index + match[0].length;
    }
    node.appendChild(document.createTextNode(text.slice(last)));
    return node;
  }

  return { el: el, textWithPhoneLinks: textWithPhoneLinks };
})();
