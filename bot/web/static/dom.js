/*
 * DOM helpers shared by widget.js and faq-embed.js. The server serves each of
 * those scripts with this file in front (bot/web/app.py ASSET_FILES), so each
 * embed stays one script tag. Text only ever goes into text nodes.
 */
var AllyDom = window.AllyDom || (function () {
  "use strict";

  // North American numbers as the assistant writes them, e.g. 1-NXX-NXX-XXXX or (NXX) NXX-XXXX.
  var PHONE = /(?:\+?1[-. ])?\(?\d{3}\)?[-. ]\d{3}[-. ]\d{4}/.source;
  // Web addresses; a trailing full stop or bracket is the sentence's, not the address's.
  var URL_ = /https?:\/\/[^\s<>"]*[^\s<>".,;:!?')\]]/.source;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // E.164 for a North American number: tel:+1NXXNXXXXXX dials from any phone, abroad too.
  function telHref(phone) {
    var digits = phone.replace(/\D/g, "");
    return "tel:+" + (digits.length === 10 ? "1" + digits : digits);
  }

  function link(text, href, className) {
    var anchor = el("a", className, text);
    anchor.href = href;
    if (/^https?:/.test(href)) {
      anchor.target = "_blank"; // the chat stays open in its page
      anchor.rel = "noopener noreferrer";
    }
    return anchor;
  }

  // An element holding ``text`` with phone numbers as tap-to-call links, web
  // addresses as links and, when ``helpCenterUrl`` is given, "Help Center" as
  // a link to it.
  function textWithLinks(tag, className, text, helpCenterUrl) {
    var pattern = new RegExp("(" + URL_ + ")|(" + PHONE + ")" + (helpCenterUrl ? "|(Help Center)" : ""), "g");
    var node = el(tag, className);
    var last = 0;
    var match;
    while ((match = pattern.exec(text)) !== null) {
      node.appendChild(document.createTextNode(text.slice(last, match.index)));
      if (match[1]) node.appendChild(link(match[1], match[1], "ally-url"));
      else if (match[2]) node.appendChild(link(match[2], telHref(match[2]), "ally-tel"));
      else node.appendChild(link(match[3], helpCenterUrl, "ally-url"));
      last = match.index + match[0].length;
    }
    node.appendChild(document.createTextNode(text.slice(last)));
    return node;
  }

  return { el: el, textWithLinks: textWithLinks };
})();
