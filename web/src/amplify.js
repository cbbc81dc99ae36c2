// A web app's use of Amplify JS v6: `Amplify.configure` with the pool, its app client and the
// identity provider's endpoint from the query string (pool, client, idp, api), then Amplify's own
// Auth functions, unchanged. The browser test calls them through window.amplifyAuth.call(name,
// input), which answers {ok, value} or {ok: false, name, message}, and logs each step on the page.
import { Amplify } from 'aws-amplify';
import {
  confirmResetPassword,
  confirmSignIn,
  confirmSignUp,
  confirmUserAttribute,
  deleteUser,
  fetchAuthSession,
  fetchMFAPreference,
  fetchUserAttributes,
  getCurrentUser,
  resendSignUpCode,
  resetPassword,
  setUpTOTP,
  signIn,
  signOut,
  signUp,
  updateMFAPreference,
  updatePassword,
  updateUserAttributes,
  verifyTOTPSetup,
} from 'aws-amplify/auth';

const config = Object.fromEntries(new URLSearchParams(window.location.search));

Amplify.configure({
  Auth: {
    Cognito: {
      userPoolId: config.pool,
      userPoolClientId: config.client,
      userPoolEndpoint: config.idp,
    },
  },
});

async function session(options) {
  const { tokens, userSub } = await fetchAuthSession(options);
  return {
    userSub,
    idToken: tokens?.idToken?.toString() ?? null,
    accessToken: tokens?.accessToken?.toString() ?? null,
    idClaims: tokens?.idToken?.payload ?? null,
  };
}

async function placeOrder({ sku, quantity }) {
  const { tokens } = await fetchAuthSession();
  const idToken = tokens.idToken.toString();
  const created = await fetch(new URL('orders', config.api), {
    method: 'POST',
    headers: {
      Authorization: idToken,
      'Content-Type': 'application/json',
      'Idempotency-Key': crypto.randomUUID(),
    },
    body: JSON.stringify({ items: [{ sku, quantity }] }),
  });
  const order = await created.json();
  const location = created.headers.get('Location');
  const read = location
    ? await fetch(new URL(location, config.api), { headers: { Authorization: idToken } })
    : null;
  return {
    status: created.status,
    location,
    order,
    readStatus: read ? read.status : null,
    readOrder: read ? await read.json() : null,
  };
}

const functions = {
  signUp,
  confirmSignUp,
  resendSignUpCode,
  signIn,
  confirmSignIn,
  fetchAuthSession: session,
  getCurrentUser,
  fetchUserAttributes,
  updateUserAttributes,
  confirmUserAttribute,
  updatePassword,
  resetPassword,
  confirmResetPassword,
  signOut,
  deleteUser,
  setUpTOTP: async () => ({ sharedSecret: (await setUpTOTP()).sharedSecret }),
  verifyTOTPSetup,
  updateMFAPreference,
  fetchMFAPreference,
  placeOrder,
};

const log = document.getElementById('log');

async function call(name, input) {
  try {
    const value = await functions[name](input);
    log.textContent += `${name}: ok\n`;
    return { ok: true, value: JSON.parse(JSON.stringify(value ?? null)) };
  } catch (error) {
    log.textContent += `${name}: ${error.name}\n`;
    return { ok: false, name: error.name, message: error.message };
  }
}

window.amplifyAuth = { call };
document.getElementById('status').textContent = 'Ready';
