export function App() {
  return <h1>GoFlow</h1>;
}
