// The practice phone: this page does what Twilio does on a real call. It asks the helpline's
// webhooks for TwiML (through /phone/bridge, which signs each request), plays each <Play> and
// speaks each <Say>, listens during <Gather> with its real timeout, and follows <Redirect>,
// <Dial> and <Hangup>. Everything shown in the transcript comes from those answers.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const config = JSON.parse($("phone-config").textContent);
  const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
  const ui = {
    form: $("call-form"), call: $("call"), start: $("start"), keys: $("keys"),
    phone: $("phone"), keypad: $("keypad"), status: $("status"), countdown: $("countdown"),
    now: $("now"),
    skip: $("skip"), speaker: $("speaker"), transcript: $("transcript"),
    speech: $("speech-form"), words: $("words"), listen: $("listen"), share: $("share"),
    copy: $("copy"),
  };
  const KEY_NAMES = { "*": "star", "#": "hash" };
  const MAX_REQUESTS = 500;
  const MAX_REDIRECTS = 20;
  const RING_SECONDS = 2; // a short ring: the tester chose the outcome already

  let call = null; // the call in progress, if any

  const words = (text) => text.split(/\s+/).filter(Boolean).length;
  const normalise = (text) => text.replace(/\s+/g, " ").trim();
  const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);

  // POST to the phone's own server, with the page's CSRF token; the JSON answer.
  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
      body: JSON.stringify(body),
    });
    if (!response.ok) {
      const text = await response.text();
      let reason = normalise(text.replace(/<[^>]*>/g, " "));
      try { reason = JSON.parse(text).error || reason; } catch { /* an HTML error page */ }
      throw new Error(`the phone's server answered HTTP ${response.status}: ${reason.slice(0, 200)}`);
    }
    return response.json();
  }

  // CallSids come from the server, which marks them as practice calls' own.
  async function newSid() {
    return (await post(config.sid, {})).sid;
  }

  function setStatus(text) {
    if (ui.status.textContent !== text) ui.status.textContent = text;
  }

  // --- the transcript ----------------------------------------------------------------------

  // A line as the server writes its own (ivr/practice/lines.py): the page's config holds them
  // all, by id, as [kind, label, words], with {field}s for this to fill.
  function lineOf(id, values = {}) {
    const [kind, who, text] = config.lines[id];
    const all = values.name === undefined ? values : { ...values, Name: capital(values.name) };
    const fill = (template) => template.replace(/\{(\w+)\}/g, (_, field) => all[field] ?? "");
    return [kind, fill(who), fill(text)];
  }

  function addLine(kind, who, text, request) {
    const item = document.createElement("li");
    item.className = kind;
    if (request !== undefined) item.dataset.request = String(request);
    if (who) {
      const label = document.createElement("span");
      label.className = "who";
      label.textContent = who;
      item.append(label, " ");
    }
    item.append(text);
    ui.transcript.append(item);
    // The words playing now, by the keypad: on a small screen the transcript is far below.
    if (kind === "heard" || kind === "transfer") ui.now.textContent = text;
    // Keep the newest line in sight where the transcript scrolls on its own (wide screens),
    // without pulling a small screen's page away from the keypad.
    const log = ui.transcript.parentElement;
    log.scrollTop = log.scrollHeight;
    return item;
  }

  function dialOutcome() {
    const chosen = ui.form.querySelector('input[name="dial"]:checked');
    return chosen ? chosen.value : "answered";
  }

  // --- one prompt at a time, which a key (barge-in), Skip or hanging up can stop --------------

  class Prompt {
    constructor() {
      this.stopped = false;
      this.done = new Promise((resolve) => { this.finish = resolve; });
      this.onStop = () => {};
    }
    stop() {
      if (this.stopped) return;
      this.stopped = true;
      this.onStop();
      this.finish();
    }
  }

  // Where speech synthesis is missing or silent (no voices), wait about as long as speaking takes.
  function estimateMs(text, rate) {
    return Math.max(1200, (words(text) / (2.5 * rate)) * 1000);
  }

  function speak(prompt, text, rate) {
    const synth = window.speechSynthesis;
    const speaking = Boolean(synth && synth.getVoices().length);
    // Speaking ends with its own event; the timer only stops a voice that never finishes.
    const limit = estimateMs(text, rate) * (speaking ? 1.6 : 1) + 500;
    const timer = setTimeout(() => prompt.stop(), limit);
    prompt.done.then(() => clearTimeout(timer));
    if (!speaking) return;
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = "en-GB";
    utterance.rate = rate;
    const voice = synth.getVoices().find((v) => v.lang === "en-GB");
    if (voice) utterance.voice = voice;
    utterance.onend = () => prompt.stop();
    utterance.onerror = () => prompt.stop();
    prompt.onStop = () => synth.cancel();
    synth.speak(utterance);
  }

  function playAudio(prompt, src, caption) {
    const speaker = ui.speaker;
    const fallback = () => {
      if (!prompt.stopped) setTimeout(() => prompt.stop(), estimateMs(caption, 1));
    };
    let stalled = null;
    speaker.onended = () => prompt.stop();
    speaker.onerror = fallback;
    // A recording that stops arriving must not hold the call for ever: allow its length and a bit.
    speaker.onloadedmetadata = () => {
      stalled = setTimeout(() => prompt.stop(), (speaker.duration + 5) * 1000);
    };
    prompt.onStop = () => {
      clearTimeout(stalled);
      speaker.onended = speaker.onerror = speaker.onloadedmetadata = null;
      speaker.pause();
    };
    speaker.src = src;
    speaker.play().catch(fallback); // autoplay refused or no audio device: time it instead
  }

  // --- one call -------------------------------------------------------------------------------

  class Call {
    constructor(startPath, script, startCode) {
      this.sid = null;
      this.closed = false;
      this.startCode = startCode;
      this.script = script; // tokens to press for the tester (a shared call), in order
      this.inputs = []; // what the tester gave each Gather, for the share link
      this.first = true;
      this.ended = false;
      this.requests = 0;
      this.redirects = 0;
      this.began = Date.now();
      this.prompt = null;
      this.gather = null;
      this.startUrl = new URL(startPath, location.href).href;
    }

    async run() {
      let next = { url: this.startUrl, method: "POST", inputs: {} };
      try {
        this.sid = await newSid();
        while (next && !this.ended) {
          const answer = await this.fetch(next);
          if (this.ended) break; // hung up while the helpline was answering
          if (!answer) { await this.end("error"); break; }
          next = await this.document(answer);
        }
      } catch (error) {
        if (!this.ended) {
          this.problem(`The phone stopped: ${error.message}`);
          await this.end("error");
        }
      }
    }

    // A line in the transcript, unless this call is over (a late answer must not reach the
    // transcript of the next call).
    line(id, values, request) {
      return this.closed ? null : addLine(...lineOf(id, values), request);
    }

    problem(text) {
      this.line("problem", { text });
    }

    async bridge(next, extra = {}) {
      const first = this.first;
      this.first = false;
      return post(config.bridge, {
        url: next.url, method: next.method, inputs: next.inputs,
        callSid: this.sid, first, ...extra,
      });
    }

    // Ask for TwiML; null (after saying why) when Twilio could not have used the answer.
    async fetch(next, extra = {}) {
      if (++this.requests > MAX_REQUESTS) {
        this.problem(`stopped after ${MAX_REQUESTS} requests`);
        return null;
      }
      const answer = await this.bridge(next, extra);
      const number = this.requests;
      const type = answer.contentType.split(";")[0].trim();
      if (answer.status !== 200 || type !== "text/xml") {
        this.problem(`${next.url} answered HTTP ${answer.status}, ${type || "no Content-Type"}`);
        return null;
      }
      const parsed = new DOMParser().parseFromString(answer.twiml, "text/xml");
      const broken = parsed.getElementsByTagName("parsererror").length > 0;
      if (broken || !answer.twiml.startsWith("<?xml")) {
        this.problem(`${next.url} answered TwiML that does not parse`);
        return null;
      }
      const root = parsed.documentElement;
      if (root.nodeName !== "Response") {
        this.problem(`${next.url} answered <${root.nodeName}>, not <Response>`);
        return null;
      }
      return { root, url: answer.url, captions: answer.captions, number };
    }

    async document(answer) {
      for (const verb of answer.root.children) {
        const next = await this.verb(verb, answer);
        if (next || this.ended) return next;
      }
      this.problem("The helpline's answer ran out without hanging up.");
      await this.end("fell-off-end");
      return null;
    }

    async verb(verb, answer) {
      switch (verb.nodeName) {
        case "Say": return this.say(verb, answer);
        case "Play": return this.play(verb, answer);
        case "Pause": return this.pause(verb);
        case "Gather": return this.listen(verb, answer);
        case "Redirect": return this.redirect(verb, answer);
        case "Dial": return this.dial(verb, answer);
        case "Hangup":
          this.line("hangup");
          await this.end("hangup");
          return null;
        case "Reject":
          this.line("reject");
          // Twilio reports a rejected call as busy, or as not answered.
          await this.end("reject", verb.getAttribute("reason") === "busy" ? "busy" : "no-answer");
          return null;
        default:
          this.problem(`Twilio cannot run <${verb.nodeName}>: "an application error has occurred".`);
          await this.end("error");
          return null;
      }
    }

    async perform(start) {
      if (this.ended || (this.gather && this.gather.settled)) return null;
      const prompt = new Prompt();
      this.prompt = prompt;
      start(prompt);
      await prompt.done;
      if (this.prompt === prompt) this.prompt = null;
      return null;
    }

    say(verb, answer) {
      const text = normalise(verb.textContent);
      const prosody = verb.querySelector("prosody");
      const rate = prosody ? parseFloat(prosody.getAttribute("rate")) / 100 || 1 : 1;
      return this.perform((prompt) => {
        this.line("say", { text }, answer.number);
        setStatus("The helpline is speaking.");
        speak(prompt, text, rate);
      });
    }

    play(verb, answer) {
      // A relative recording is on this server, which the page may reach by another name than
      // the public address Twilio would use (a tunnel, a proxy): fetch it from here.
      const src = new URL(normalise(verb.textContent), location.href).href;
      const caption = answer.captions[normalise(verb.textContent)] || config.uncaptioned;
      return this.perform((prompt) => {
        const line = this.line("play", { caption }, answer.number);
        line.dataset.audio = src;
        setStatus("The helpline is speaking.");
        playAudio(prompt, src, caption);
      });
    }

    pause(verb) {
      const seconds = parseFloat(verb.getAttribute("length") || "1");
      return this.perform((prompt) => { setTimeout(() => prompt.stop(), seconds * 1000); });
    }

    redirect(verb, answer) {
      if (++this.redirects > MAX_REDIRECTS) {
        this.problem(`more than ${MAX_REDIRECTS} Redirects without a Gather`);
        return this.end("error").then(() => null);
      }
      const target = normalise(verb.textContent);
      if (!target) {
        this.problem("<Redirect> without a URL");
        return this.end("error").then(() => null);
      }
      const url = new URL(target, answer.url).href;
      return { url, method: (verb.getAttribute("method") || "POST").toUpperCase(), inputs: {} };
    }

    // <Gather>: play its prompts while listening; a key stops them (barge-in). When they end,
    // wait `timeout` seconds (the countdown); silence falls through to the next verb.
    async listen(verb, answer) {
      if (this.ended) return null;
      this.redirects = 0;
      const gather = new Listening(this, verb, answer);
      this.gather = gather;
      this.replayNext(gather);
      for (const child of verb.children) {
        if (gather.settled || gather.interrupted || this.ended) break;
        await this.verb(child, answer);
      }
      if (!gather.settled && !gather.interrupted && !this.ended) gather.startCountdown();
      const next = await gather.result;
      if (this.gather === gather) this.gather = null;
      return next;
    }

    // A shared call: give the next scripted input as soon as the Gather starts.
    replayNext(gather) {
      if (!this.script.length) return;
      const token = this.script.shift();
      setTimeout(() => {
        if (gather.settled || this.ended) return;
        if (token === "." || token === "") gather.silence();
        else if (/^[0-9*#]+$/.test(token)) for (const key of token) this.press(key);
        else this.sayWords(token);
      }, 0);
    }

    async dial(verb, answer) {
      const numbers = Array.from(verb.children, (c) => normalise(c.textContent));
      const number = numbers[0] || normalise(verb.textContent);
      const name = config.names[number] || number;
      const whisper = Array.from(verb.children).find((c) => c.getAttribute("url"));
      if (!number) {
        this.problem("<Dial> without a number");
        await this.end("error");
        return null;
      }
      const outcome = dialOutcome();
      this.line("ringing", { name }, answer.number);
      setStatus(`Ringing ${name}.`);
      await this.perform((prompt) => { setTimeout(() => prompt.stop(), RING_SECONDS * 1000); });
      if (this.ended) return null;
      const dialCallSid = await newSid();
      const inputs = { DialCallStatus: config.dialStatus[outcome], DialCallSid: dialCallSid };
      let bridged = false;
      if (outcome === "answered" || outcome === "declined") {
        bridged = true;
        if (whisper) {
          const url = new URL(whisper.getAttribute("url"), answer.url).href;
          const method = whisper.getAttribute("method");
          bridged = await this.whisper(url, method, number, name, dialCallSid, outcome === "answered");
          if (this.ended) return null; // hung up while the nurse heard the whisper
        }
        inputs.DialBridged = bridged ? "true" : "false";
        if (bridged) {
          inputs.DialCallDuration = "60";
          this.line("through", { name });
        } else {
          this.line("not-taken", { name });
        }
      } else {
        this.line(outcome, { name }); // busy, no-answer or failed
      }
      const action = verb.getAttribute("action");
      if (action) {
        const method = (verb.getAttribute("method") || "POST").toUpperCase();
        return { url: new URL(action, answer.url).href, method, inputs };
      }
      if (bridged) await this.end("dial-answered");
      return null;
    }

    // What the person answering hears from one verb: a <Say>'s words, a <Play>'s caption.
    heardIn(verb, answer) {
      const text = normalise(verb.textContent);
      if (verb.nodeName === "Say") return [text];
      if (verb.nodeName === "Play") return [answer.captions[text] || config.uncaptioned];
      if (verb.nodeName === "Gather") return Array.from(verb.children).flatMap((v) => this.heardIn(v, answer));
      return [];
    }

    // The person a transfer rings hears the whisper, and presses 1 to take the call (or not:
    // then its Gather times out and the whisper's document goes on, usually to a <Hangup>).
    async whisper(url, whisperMethod, number, name, dialCallSid, accept) {
      const extra = { leg: "answerer", to: number, dialCallSid };
      const show = (heard, answer) => {
        if (heard.length) this.line("whisper-to", { name, text: heard.join(" ") }, answer.number);
      };
      const method = (whisperMethod || "POST").toUpperCase();
      let answer = await this.fetch({ url, method, inputs: {} }, extra);
      for (let turn = 0; turn < 5 && answer && !this.ended; turn++) {
        const heard = [];
        let pressed = null;
        for (const verb of answer.root.children) {
          heard.push(...this.heardIn(verb, answer));
          if (verb.nodeName === "Hangup") { show(heard, answer); return false; }
          if (verb.nodeName === "Gather" && accept) { pressed = verb; break; }
        }
        show(heard, answer);
        if (!pressed) return true; // the whisper ran out without hanging up: put through
        this.line("takes-the-call", { name });
        const action = new URL(pressed.getAttribute("action") || url, answer.url).href;
        const method = (pressed.getAttribute("method") || "POST").toUpperCase();
        answer = await this.fetch({ url: action, method, inputs: { Digits: "1" } }, extra);
        if (answer && answer.root.children.length === 0) return true;
      }
      return false;
    }

    // --- what the tester does ---------------------------------------------------------------

    press(key) {
      this.line("keys", { text: KEY_NAMES[key] || key });
      if (this.gather && !this.gather.settled) this.gather.key(key);
      else setStatus("Nothing is listening for keys just now.");
    }

    sayWords(text) {
      this.line("speech", { text });
      if (this.gather && !this.gather.settled) this.gather.speech(text);
      else setStatus("Nothing is listening just now.");
    }

    skip() {
      if (this.prompt) this.prompt.stop();
    }

    remember(token) {
      this.inputs.push(token);
      updateShare(this);
    }

    async hangUp() {
      if (this.ended) return;
      this.line("caller-hung-up");
      await this.end("caller-hung-up");
    }

    async end(how, callStatus = "completed") {
      if (this.ended) return;
      this.ended = true;
      if (this.prompt) this.prompt.stop();
      if (this.gather) this.gather.settle(null);
      const seconds = Math.round((Date.now() - this.began) / 1000);
      this.line("end");
      this.closed = true; // nothing more of this call reaches the transcript
      finished(this, how);
      if (!this.sid) return; // hung up before the call was placed
      try {
        // Twilio tells the helpline the call is over, as the last request of every call.
        await this.bridge({
          url: new URL(config.status, this.startUrl).href, method: "POST",
          inputs: { CallStatus: callStatus, CallDuration: String(seconds) },
        });
      } catch (error) {
        if (call === null) addLine(...lineOf("problem", { text: `The status callback failed: ${error.message}` }));
      }
    }
  }

  // One <Gather> waiting for the caller.
  class Listening {
    constructor(call, verb, answer) {
      this.call = call;
      this.modes = (verb.getAttribute("input") || "dtmf").split(/\s+/);
      this.timeout = parseFloat(verb.getAttribute("timeout")) || 5; // Twilio's default
      this.numDigits = parseInt(verb.getAttribute("numDigits") || "0", 10);
      const finish = verb.getAttribute("finishOnKey");
      this.finishOnKey = finish === null ? "#" : finish;
      this.action = new URL(verb.getAttribute("action") || answer.url, answer.url).href;
      this.method = (verb.getAttribute("method") || "POST").toUpperCase();
      this.emptyAction = verb.getAttribute("actionOnEmptyResult") === "true";
      this.digits = "";
      this.interrupted = false;
      this.settled = false;
      this.timer = null;
      this.result = new Promise((resolve) => { this.resolve = resolve; });
    }

    settle(next) {
      if (this.settled) return;
      this.settled = true;
      this.stopCountdown();
      if (this.call.prompt) this.call.prompt.stop();
      this.resolve(next);
    }

    submit(inputs, token) {
      this.call.remember(token);
      this.settle({ url: this.action, method: this.method, inputs });
    }

    key(key) {
      if (!this.modes.includes("dtmf")) { setStatus("Keys are not listened for here."); return; }
      this.interrupted = true; // a key stops the prompts, as on a call
      if (this.call.prompt) this.call.prompt.stop();
      if (this.finishOnKey && key === this.finishOnKey) {
        if (this.digits) this.submit({ Digits: this.digits }, this.digits + key);
        else this.silence(); // only the finish key: the same as no input
        return;
      }
      this.digits += key;
      if (this.numDigits && this.digits.length >= this.numDigits) {
        this.submit({ Digits: this.digits }, this.digits);
      } else {
        this.startCountdown(); // Twilio waits `timeout` seconds for each further key
      }
    }

    speech(text) {
      if (!this.modes.includes("speech")) { setStatus("Words are not listened for here."); return; }
      this.submit({ SpeechResult: text, Confidence: "0.9" }, text);
    }

    // The timeout ran out (or the tester chose silence): keys so far are sent, else it falls through.
    silence() {
      if (this.settled) return;
      if (this.digits) { this.submit({ Digits: this.digits }, this.digits); return; }
      this.call.line("silence");
      this.call.remember(".");
      this.settle(this.emptyAction ? { url: this.action, method: this.method, inputs: {} } : null);
    }

    startCountdown() {
      this.stopCountdown();
      let left = this.timeout;
      const show = () => {
        ui.countdown.textContent = `Waiting for you: ${Math.ceil(left)} s`;
        ui.countdown.hidden = false;
      };
      // Said once, for a screen reader; the countdown beside it changes each second, silently.
      setStatus(`Waiting ${this.timeout} seconds for you to press a key or say something.`);
      show();
      this.timer = setInterval(() => {
        left -= 1;
        if (left <= 0) { this.stopCountdown(); this.silence(); } else show();
      }, 1000);
    }

    stopCountdown() {
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      ui.countdown.hidden = true;
    }
  }

  // --- the page ------------------------------------------------------------------------------

  function scriptTokens(text) {
    // The terminal phone's syntax: keys, "." for silence, words in quotes for speech.
    const tokens = [];
    const pattern = /"([^"]*)"|'([^']*)'|(\S+)/g;
    let match;
    while ((match = pattern.exec(text))) tokens.push(match[1] ?? match[2] ?? match[3]);
    return tokens;
  }

  function shareUrl(current) {
    const params = new URLSearchParams();
    if (current.startCode) params.set("start", current.startCode);
    const tokens = current.inputs.map((t) => (/^[0-9*#.]+$/.test(t) ? t : `"${t.replace(/"/g, "")}"`));
    params.set("keys", tokens.join(" "));
    params.set("dial", dialOutcome());
    return `${location.origin}${location.pathname}?${params}`;
  }

  function updateShare(current) {
    ui.share.href = shareUrl(current);
    ui.share.hidden = false;
    ui.copy.hidden = !navigator.clipboard;
  }

  function finished(current, how) {
    if (call === current) call = null;
    ui.call.textContent = "Call the helpline";
    ui.call.classList.remove("hang-up");
    ui.skip.disabled = true;
    setStatus(how === "error" ? "The call stopped because of a problem (see the transcript)." : "Call ended.");
  }

  function placeCall() {
    const code = ui.start.value;
    const path = code ? config.entries[code] : config.incoming;
    ui.transcript.replaceChildren();
    ui.now.textContent = "";
    const current = new Call(path, scriptTokens(ui.keys.value), code);
    call = current;
    ui.call.textContent = "Hang up";
    ui.call.classList.add("hang-up");
    ui.skip.disabled = false;
    updateShare(current);
    setStatus("Calling the helpline.");
    current.run();
  }

  function press(key) {
    const button = ui.keypad.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (button) {
      button.classList.add("pressed");
      setTimeout(() => button.classList.remove("pressed"), 150);
    }
    if (call) call.press(key);
    else setStatus("Press Call the helpline first.");
  }

  ui.call.addEventListener("click", (event) => {
    // The second click of a double click would hang up the call it has just placed.
    if (event.detail > 1) return;
    if (call) call.hangUp();
    else placeCall();
  });
  ui.form.addEventListener("submit", (event) => {
    event.preventDefault(); // Enter in a call option places the call, as the button does
    if (!call) placeCall();
  });
  ui.keypad.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-key]");
    if (button) press(button.dataset.key);
  });
  document.addEventListener("keydown", (event) => {
    // Digits typed into a text box or a list belong there; on buttons and radios they are keys.
    const typing = event.target instanceof Element
      && event.target.closest("input:not([type=radio]):not([type=checkbox]), select, textarea");
    if (typing || event.repeat || event.ctrlKey || event.metaKey || event.altKey) return;
    if (/^[0-9*#]$/.test(event.key)) {
      event.preventDefault();
      press(event.key);
    }
  });
  ui.skip.addEventListener("click", () => { if (call) call.skip(); });
  ui.speech.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = normalise(ui.words.value);
    if (!text) return;
    if (call) call.sayWords(text);
    else setStatus("Press Call the helpline first.");
    ui.words.value = "";
  });
  ui.copy.addEventListener("click", () => {
    navigator.clipboard.writeText(ui.share.href).then(
      () => setStatus("The link is copied."),
      () => setStatus("The link could not be copied: use the link itself."),
    );
  });

  // Speaking into a microphone, where the browser can recognise speech.
  const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  if (Recognition) {
    ui.listen.hidden = false;
    ui.listen.addEventListener("click", () => {
      const recognition = new Recognition();
      recognition.lang = "en-GB";
      recognition.onresult = (event) => {
        const text = normalise(event.results[0][0].transcript);
        if (text && call) call.sayWords(text);
      };
      recognition.onerror = (event) => setStatus(`Speech was not recognised (${event.error}).`);
      recognition.onend = () => {
        if (ui.status.textContent === "Listening: speak now.") setStatus("Nothing was heard.");
      };
      setStatus("Listening: speak now.");
      recognition.start();
    });
  }

  // Browsers load their voices on first asking: ask now, so the first <Say> has one.
  if (window.speechSynthesis) window.speechSynthesis.getVoices();
  ui.phone.hidden = false;
  document.documentElement.classList.add("js");
})();
